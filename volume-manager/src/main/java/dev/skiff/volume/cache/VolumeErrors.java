package dev.skiff.volume.cache;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The last set-up or tear-down failure per pod volume, with the retry back-off (upstream exponentialbackoff: 500 ms
 * doubling to about 2 min). Thread-safe.
 */
public final class VolumeErrors {
    static final long INITIAL_BACKOFF_NANOS = 500_000_000L;
    static final long MAX_BACKOFF_NANOS = 122_000_000_000L;

    /** One failure: what it said, when it happened, and when to try again. */
    public record Failure(String message, long atNanos, long retryAtNanos, long backoffNanos) {
    }

    private final Map<String, Map<String, Failure>> failures = new HashMap<>();

    /** Records a failure; the back-off doubles from the previous one. Returns when to retry. */
    public synchronized long fail(String uid, String volume, String message, long nowNanos) {
        Map<String, Failure> pod = failures.computeIfAbsent(uid, k -> new HashMap<>());
        Failure prev = pod.get(volume);
        long backoff = prev == null ? INITIAL_BACKOFF_NANOS
                : Math.max(INITIAL_BACKOFF_NANOS, Math.min(prev.backoffNanos() * 2, MAX_BACKOFF_NANOS));
        Failure f = new Failure(message, nowNanos, nowNanos + backoff, backoff);
        pod.put(volume, f);
        return f.retryAtNanos();
    }

    public synchronized void clear(String uid, String volume) {
        Map<String, Failure> pod = failures.get(uid);
        if (pod != null) {
            pod.remove(volume);
            if (pod.isEmpty()) {
                failures.remove(uid);
            }
        }
    }

    public synchronized void clearPod(String uid) {
        failures.remove(uid);
    }

    /** Retry everything at once (a source changed, so the next attempt may succeed). */
    public synchronized void resetBackoff(String uid) {
        Map<String, Failure> pod = failures.get(uid);
        if (pod != null) {
            pod.replaceAll((k, f) -> new Failure(f.message(), f.atNanos(), f.atNanos(), 0));
        }
    }

    /** True when the volume has failed and its retry time has not come yet. */
    public synchronized boolean backingOff(String uid, String volume, long nowNanos) {
        Map<String, Failure> pod = failures.get(uid);
        Failure f = pod == null ? null : pod.get(volume);
        return f != null && nowNanos < f.retryAtNanos();
    }

    public synchronized Map<String, Failure> failures(String uid) {
        Map<String, Failure> pod = failures.get(uid);
        return pod == null ? Map.of() : new LinkedHashMap<>(pod);
    }
}
