package dev.skiff.kubelet.stats;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** Upstream's metav1.Time in JSON: RFC 3339, whole seconds, UTC. */
final class Times {
    private Times() {}

    static String rfc3339(long unixNanos) {
        return Instant.ofEpochSecond(Math.floorDiv(unixNanos, 1_000_000_000L)).toString();
    }

    static String rfc3339(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    static long nanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }
}
