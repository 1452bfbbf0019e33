package dev.skiff.kubelet;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * When each pod is next due for a sync (upstream's kubelet workQueue): after a resync period, or when a
 * back-off expires. The sync loop takes the due pods every second. Thread-safe.
 */
final class WorkQueue {
    private final Map<String, Instant> due = new HashMap<>();

    /** Sets the pod's next sync {@code delay} after {@code now}, replacing an earlier plan. */
    synchronized void enqueue(String uid, Instant now, Duration delay) {
        due.put(uid, now.plus(delay));
    }

    /** Removes and returns the pods due at {@code now}. */
    synchronized List<String> popDue(Instant now) {
        List<String> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, Instant>> it = due.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Instant> e = it.next();
            if (!e.getValue().isAfter(now)) {
                out.add(e.getKey());
                it.remove();
            }
        }
        return out;
    }

    synchronized void forget(String uid) {
        due.remove(uid);
    }

    synchronized int size() {
        return due.size();
    }
}
