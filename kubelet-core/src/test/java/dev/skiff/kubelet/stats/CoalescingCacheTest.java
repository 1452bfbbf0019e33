package dev.skiff.kubelet.stats;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

class CoalescingCacheTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final AtomicInteger computations = new AtomicInteger();

    private CoalescingCache<Integer> counting(Duration maxAge) {
        return new CoalescingCache<>(computations::incrementAndGet, maxAge, Duration.ofSeconds(10), now::get);
    }

    @Test
    void reusesTheValueWithinMaxAgeAndRecomputesAfter() {
        CoalescingCache<Integer> cache = counting(Duration.ofSeconds(1));
        assertEquals(1, cache.get());
        now.addAndGet(999_999_999L);
        assertEquals(1, cache.get(), "still younger than a second");
        now.addAndGet(1);
        assertEquals(2, cache.get(), "a second old: stale, read again");
        assertEquals(2, computations.get());
    }

    @Test
    void theAgeCountsFromTheStartOfTheComputation() {
        // a computation that takes 600 ms of the fake clock: its value is 600 ms old when it is kept
        CoalescingCache<Integer> cache = new CoalescingCache<>(() -> {
            now.addAndGet(600_000_000L);
            return computations.incrementAndGet();
        }, Duration.ofSeconds(1), Duration.ofSeconds(10), now::get);
        assertEquals(1, cache.get());
        now.addAndGet(400_000_000L);
        assertEquals(2, cache.get(), "1 s after its read began, the value is stale although it was kept 400 ms ago");
    }

    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);

    /** A cache whose computation says it began, then holds until released (up to 10 s). */
    private CoalescingCache<Integer> held(Duration maxWait) {
        return new CoalescingCache<>(() -> {
            entered.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return computations.incrementAndGet();
        }, Duration.ofSeconds(1), maxWait, now::get);
    }

    @Test
    void concurrentCallersShareOneComputation() throws Exception {
        CoalescingCache<Integer> cache = held(Duration.ofSeconds(10));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            results.add(pool.submit(cache::get));
            assertTrue(entered.await(10, TimeUnit.SECONDS));
            for (int i = 0; i < 7; i++) {
                results.add(pool.submit(cache::get));
            }
            Thread.sleep(100); // the seven queue up behind the first
            release.countDown();
            for (Future<Integer> r : results) {
                assertEquals(1, r.get(10, TimeUnit.SECONDS));
            }
            assertEquals(1, computations.get(), "eight callers, one read");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aCallerWaitsNoLongerThanMaxWait() throws Exception {
        CoalescingCache<Integer> cache = held(Duration.ofMillis(50));
        Thread slow = new Thread(cache::get, "slow-stats-read");
        slow.start();
        try {
            assertTrue(entered.await(10, TimeUnit.SECONDS));
            IllegalStateException e = assertThrows(IllegalStateException.class, cache::get);
            assertTrue(e.getMessage().contains("still being read by another request after 50 ms"), e.getMessage());
        } finally {
            release.countDown();
            slow.join(10_000);
        }
    }

    @Test
    void aFailureIsNotKept() {
        AtomicInteger calls = new AtomicInteger();
        CoalescingCache<String> cache = new CoalescingCache<>(() -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("runtime down");
            }
            return "ok";
        }, Duration.ofSeconds(1), Duration.ofSeconds(10), now::get);
        assertEquals("runtime down", assertThrows(IllegalStateException.class, cache::get).getMessage());
        assertEquals("ok", cache.get(), "the next caller reads again at once");
        assertEquals("ok", cache.get());
        assertEquals(2, calls.get());
    }

    @Test
    void nothingIsComputedUntilAsked() {
        counting(Duration.ofSeconds(1));
        now.addAndGet(60_000_000_000L);
        assertEquals(0, computations.get(), "no thread of its own, no work while nobody asks");
    }
}
