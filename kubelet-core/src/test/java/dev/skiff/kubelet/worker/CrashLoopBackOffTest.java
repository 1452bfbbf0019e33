package dev.skiff.kubelet.worker;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class CrashLoopBackOffTest {
    private final FakeClock clock = new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final CrashLoopBackOff backOff = new CrashLoopBackOff(CrashLoopBackOff.INITIAL, CrashLoopBackOff.MAX, clock);
    private final String key = CrashLoopBackOff.key("uid-1", "app");

    /** Restarts as the kubelet does: as soon as the back-off allows, each crash right after the restart. */
    @Test
    void doublesFromTenSecondsUpToFiveMinutes() {
        List<Long> seen = new ArrayList<>();
        Instant t = clock.instant();
        for (int i = 0; i < 8; i++) {
            assertFalse(backOff.isInBackOffSince(key, t));
            Duration d = backOff.next(key, t);
            seen.add(d.toSeconds());
            assertTrue(backOff.isInBackOffSince(key, t.plus(d).minusMillis(1)), "still backing off just before the end");
            assertFalse(backOff.isInBackOffSince(key, t.plus(d)), "free at the end of the window");
            t = t.plus(d);
        }
        assertEquals(List.of(10L, 20L, 40L, 80L, 160L, 300L, 300L, 300L), seen);
    }

    @Test
    void resetsAfterTenMinutesOfCleanRunning() {
        Instant t = clock.instant();
        backOff.next(key, t);
        backOff.next(key, t = t.plusSeconds(10));
        assertEquals(Duration.ofSeconds(40), backOff.next(key, t = t.plusSeconds(20)));
        // exactly 10 minutes later: not yet stable, keeps doubling
        assertEquals(Duration.ofSeconds(80), backOff.next(key, t = t.plus(Duration.ofMinutes(10))));
        // more than 10 minutes of clean running: starts over
        assertFalse(backOff.isInBackOffSince(key, t.plus(Duration.ofMinutes(10)).plusSeconds(1)));
        assertEquals(Duration.ofSeconds(10), backOff.next(key, t.plus(Duration.ofMinutes(10)).plusSeconds(1)));
    }

    @Test
    void remainingCountsDown() {
        Instant t = clock.instant();
        assertEquals(Duration.ZERO, backOff.remaining(key, t, t), "unknown key");
        backOff.next(key, t);
        backOff.next(key, t);
        assertEquals(Duration.ofSeconds(20), backOff.remaining(key, t, t));
        assertEquals(Duration.ofSeconds(15), backOff.remaining(key, t, t.plusSeconds(5)));
        assertEquals(Duration.ZERO, backOff.remaining(key, t, t.plusSeconds(25)));
        assertEquals(Duration.ofSeconds(20), backOff.get(key));
    }

    @Test
    void keysAreIndependentAndForgettable() {
        String other = CrashLoopBackOff.key("uid-1", "sidecar");
        String otherPod = CrashLoopBackOff.key("uid-2", "app");
        Instant t = clock.instant();
        backOff.next(key, t);
        backOff.next(key, t);
        assertEquals(Duration.ofSeconds(10), backOff.next(other, t));
        assertEquals(Duration.ofSeconds(10), backOff.next(otherPod, t));
        backOff.reset(key);
        assertFalse(backOff.isInBackOffSince(key, t));
        assertEquals(Duration.ofSeconds(10), backOff.next(key, t));
        backOff.resetPod("uid-1");
        assertEquals(1, backOff.size(), "only the other pod's entry is left");
    }

    @Test
    void gcDropsStaleEntries() {
        backOff.next(key, clock.instant());
        clock.advance(Duration.ofMinutes(5));
        backOff.next("fresh", clock.instant());
        clock.advance(Duration.ofMinutes(5).plusSeconds(1));
        assertEquals(1, backOff.gc());
        assertEquals(1, backOff.size());
        assertEquals(Duration.ZERO, backOff.get(key));
        assertEquals(Duration.ofSeconds(10), backOff.get("fresh"));
    }

    @Test
    void rejectsNonsenseLimits() {
        assertThrows(IllegalArgumentException.class, () -> new CrashLoopBackOff(Duration.ZERO, Duration.ofSeconds(1), clock));
        assertThrows(IllegalArgumentException.class, () -> new CrashLoopBackOff(Duration.ofSeconds(10), Duration.ofSeconds(5), clock));
    }

    @Test
    void remainingCountsFromTheContainersFinishLikeIsInBackOffSince() {
        CrashLoopBackOff backOff = new CrashLoopBackOff();
        String key = CrashLoopBackOff.key("uid", "app");
        Instant restarted = Instant.parse("2026-01-01T00:00:00Z");
        backOff.next(key, restarted.minusSeconds(1), restarted); // 10 s
        Instant finished = restarted.plusSeconds(3); // ran 3 s, then crashed
        Instant now = finished.plusSeconds(4);
        assertEquals(Duration.ofSeconds(6), backOff.remaining(key, finished, now));
        assertTrue(backOff.isInBackOffSince(key, finished, now.plusSeconds(6).minusMillis(1)));
        assertFalse(backOff.isInBackOffSince(key, finished, now.plusSeconds(6)));
        assertEquals(Duration.ZERO, backOff.remaining(key, finished, now.plusSeconds(6)));
        assertEquals(Duration.ZERO, backOff.remaining(CrashLoopBackOff.key("uid", "other"), finished, now));
    }
}
