package dev.skiff.kubelet.server;

import dev.skiff.kubelet.config.GoDuration;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** Upstream's stall checks behind {@code /healthz/syncloop} and {@code /healthz/pleg}, with its texts. Pure. */
public final class StallChecks {
    private static final Duration MIN_SYNC_LOOP_STALL = Duration.ofMinutes(5);

    private StallChecks() {
    }

    /**
     * Upstream syncLoopHealthCheck: failing once the loop has not entered an iteration for twice the sync frequency
     * (at least 5 minutes); passing before the loop started.
     */
    public static Optional<String> syncLoop(Optional<Instant> latestLoopEntry, Duration syncFrequency, Instant now) {
        Duration limit = syncFrequency.multipliedBy(2);
        if (limit.compareTo(MIN_SYNC_LOOP_STALL) < 0) {
            limit = MIN_SYNC_LOOP_STALL;
        }
        if (latestLoopEntry.isPresent() && now.isAfter(latestLoopEntry.get().plus(limit))) {
            return Optional.of("sync Loop took longer than expected");
        }
        return Optional.empty();
    }

    /** Upstream GenericPLEG.Healthy: failing before the first successful relist and when the last is too old. */
    public static Optional<String> pleg(Optional<Instant> lastRelist, Duration threshold, Instant now) {
        if (lastRelist.isEmpty()) {
            return Optional.of("pleg has yet to be successful");
        }
        Duration elapsed = Duration.between(lastRelist.get(), now);
        if (elapsed.compareTo(threshold) > 0) {
            return Optional.of("pleg was last seen active " + GoDuration.format(elapsed) + " ago; threshold is "
                    + GoDuration.format(threshold));
        }
        return Optional.empty();
    }
}
