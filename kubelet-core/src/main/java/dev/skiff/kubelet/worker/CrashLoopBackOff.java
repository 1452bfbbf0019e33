package dev.skiff.kubelet.worker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Per-key exponential back-off for container restarts, with upstream's flowcontrol.Backoff semantics and
 * the kubelet's constants: the first delay is 10 s, each further restart doubles it up to 300 s, and an
 * entry not touched for twice the cap (10 minutes of clean running) is forgotten, so the next failure
 * starts again at 10 s.
 *
 * <p>Container restarts use the three-argument forms, as upstream's doBackOff does: ask
 * {@link #isInBackOffSince(String, Instant, Instant)} with the container's finish time and now; when not in
 * back-off restart it and call {@link #next(String, Instant, Instant)} with the same times. (The two-argument
 * forms measure the window from the last update, upstream's IsInBackOffSinceUpdate, and suit callers whose
 * event time is now, e.g. image pulls; given a finish time they would never leave the back-off.)
 * Thread-safe.
 */
public final class CrashLoopBackOff {
    /** kubelet backOffPeriod. */
    public static final Duration INITIAL = Duration.ofSeconds(10);
    /** kubelet MaxContainerBackOff. */
    public static final Duration MAX = Duration.ofSeconds(300);

    private final Duration initial;
    private final Duration max;
    private final Clock clock;
    private final Map<String, Entry> entries = new HashMap<>();

    private static final class Entry {
        Duration backoff;
        Instant lastUpdate;

        Entry(Duration backoff, Instant lastUpdate) {
            this.backoff = backoff;
            this.lastUpdate = lastUpdate;
        }
    }

    public CrashLoopBackOff() {
        this(INITIAL, MAX, Clock.systemUTC());
    }

    public CrashLoopBackOff(Duration initial, Duration max, Clock clock) {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("need 0 < initial <= max, got " + initial + ", " + max);
        }
        this.initial = initial;
        this.max = max;
        this.clock = clock;
    }

    /** The key for one container of one pod, as upstream's stable key: pod uid plus container name. */
    public static String key(String podUid, String containerName) {
        return podUid + "_" + containerName;
    }

    /**
     * Records a restart at {@code eventTime} and returns the back-off that now applies: the initial delay for
     * a new or expired key, otherwise double the previous one, capped.
     */
    public synchronized Duration next(String key, Instant eventTime) {
        return next(key, eventTime, eventTime);
    }

    /** True while {@code eventTime} is within the current back-off window that started at the last update. */
    public synchronized boolean isInBackOffSince(String key, Instant eventTime) {
        Entry e = entries.get(key);
        if (e == null || expired(eventTime, e.lastUpdate)) {
            return false;
        }
        return Duration.between(e.lastUpdate, eventTime).compareTo(e.backoff) < 0;
    }

    /**
     * Upstream's {@code IsInBackOffSince}: true while less than the current delay has passed between
     * {@code eventTime} (the container's finish) and {@code now}; an entry last updated more than twice the cap
     * before {@code eventTime} is stale (the container ran cleanly that long).
     */
    public synchronized boolean isInBackOffSince(String key, Instant eventTime, Instant now) {
        Entry e = entries.get(key);
        if (e == null || expired(eventTime, e.lastUpdate)) {
            return false;
        }
        return Duration.between(eventTime, now).compareTo(e.backoff) < 0;
    }

    /**
     * Upstream's {@code Next}: records a restart at {@code now} for a container that finished at
     * {@code eventTime}; the delay starts over when the entry is stale at {@code eventTime}, else doubles, capped.
     */
    public synchronized Duration next(String key, Instant eventTime, Instant now) {
        Entry e = entries.get(key);
        if (e == null || expired(eventTime, e.lastUpdate)) {
            e = new Entry(initial, now);
            entries.put(key, e);
        } else {
            Duration doubled = e.backoff.multipliedBy(2);
            e.backoff = doubled.compareTo(max) > 0 ? max : doubled;
            e.lastUpdate = now;
        }
        return e.backoff;
    }

    /**
     * Time left at {@code now} in the window {@link #isInBackOffSince(String, Instant, Instant)} checks: the current
     * delay counted from {@code eventTime} (the container's finish); zero when not in back-off.
     */
    public synchronized Duration remaining(String key, Instant eventTime, Instant now) {
        Entry e = entries.get(key);
        if (e == null || expired(eventTime, e.lastUpdate)) {
            return Duration.ZERO;
        }
        Duration left = Duration.between(now, eventTime.plus(e.backoff));
        return left.isNegative() ? Duration.ZERO : left;
    }

    /** The current back-off for the key (zero when unknown), without changing it. */
    public synchronized Duration get(String key) {
        Entry e = entries.get(key);
        return e == null ? Duration.ZERO : e.backoff;
    }

    /** Forgets the key (e.g. the pod was deleted). */
    public synchronized void reset(String key) {
        entries.remove(key);
    }

    /** Forgets every key of a pod ({@link #key} prefix), when the pod is removed. */
    public synchronized void resetPod(String podUid) {
        String prefix = podUid + "_";
        entries.keySet().removeIf(k -> k.startsWith(prefix));
    }

    /** Drops entries not updated for twice the cap; call from housekeeping. Returns how many were dropped. */
    public synchronized int gc() {
        Instant now = clock.instant();
        int removed = 0;
        for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
            if (expired(now, it.next().lastUpdate)) {
                it.remove();
                removed++;
            }
        }
        return removed;
    }

    public synchronized int size() {
        return entries.size();
    }

    /** Upstream: a key is stable again once untouched for twice the maximum back-off. */
    private boolean expired(Instant eventTime, Instant lastUpdate) {
        return Duration.between(lastUpdate, eventTime).compareTo(max.multipliedBy(2)) > 0;
    }
}
