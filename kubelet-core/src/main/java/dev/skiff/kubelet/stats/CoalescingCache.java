package dev.skiff.kubelet.stats;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A value computed on demand and then reused while younger than {@code maxAge} (its age counted from the start of
 * the computation that made it), as cAdvisor's in-memory stats are reused between housekeeping passes. It has no
 * thread of its own: nothing runs while nobody asks. Callers that find it stale while another computes wait for
 * that computation (up to {@code maxWait}) and share its result, so any number of concurrent requests cost one
 * computation. A failed computation is not kept: it is thrown to its caller, the next one tries again.
 */
final class CoalescingCache<T> {
    private record Entry<T>(T value, long takenAtNanos) {}

    private final Supplier<T> compute;
    private final long maxAgeNanos;
    private final long maxWaitNanos;
    private final LongSupplier nanoTime;
    private final ReentrantLock computing = new ReentrantLock();
    private volatile Entry<T> last;

    CoalescingCache(Supplier<T> compute, Duration maxAge, Duration maxWait) {
        this(compute, maxAge, maxWait, System::nanoTime);
    }

    /** Tests pass their own {@code nanoTime}. */
    CoalescingCache(Supplier<T> compute, Duration maxAge, Duration maxWait, LongSupplier nanoTime) {
        if (maxAge.isNegative() || maxWait.isNegative()) {
            throw new IllegalArgumentException("maxAge and maxWait must not be negative: " + maxAge + ", " + maxWait);
        }
        this.compute = compute;
        this.maxAgeNanos = maxAge.toNanos();
        this.maxWaitNanos = maxWait.toNanos();
        this.nanoTime = nanoTime;
    }

    /**
     * The value, computed now unless one younger than maxAge is kept or being computed by another caller.
     *
     * @throws IllegalStateException when another caller's computation outlasts maxWait, or this thread is interrupted
     */
    T get() {
        Entry<T> e = last;
        if (fresh(e)) {
            return e.value();
        }
        try {
            if (!computing.tryLock(maxWaitNanos, TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException("stats: still being read by another request after "
                        + Duration.ofNanos(maxWaitNanos).toMillis() + " ms");
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("stats: interrupted while waiting for another request's read", ie);
        }
        try {
            e = last;
            if (fresh(e)) {
                return e.value(); // computed by the caller we waited for
            }
            long started = nanoTime.getAsLong();
            T value = compute.get();
            last = new Entry<>(value, started);
            return value;
        } finally {
            computing.unlock();
        }
    }

    private boolean fresh(Entry<T> e) {
        return e != null && nanoTime.getAsLong() - e.takenAtNanos() < maxAgeNanos;
    }
}
