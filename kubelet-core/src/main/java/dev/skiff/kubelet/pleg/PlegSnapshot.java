package dev.skiff.kubelet.pleg;

import java.time.Instant;
import java.util.Map;

/**
 * The runtime's pods as one relist saw them.
 *
 * @param generation 0 before the first successful relist, then +1 per successful relist
 * @param time       when the relist that produced it started (so a consumer that acted at time t and
 *                   waits for a snapshot newer than t sees the effect of its action, as upstream's cache)
 * @param pods       pod uid → pod, unmodifiable
 */
public record PlegSnapshot(long generation, Instant time, Map<String, RuntimePod> pods) {
    static final PlegSnapshot EMPTY = new PlegSnapshot(0, Instant.EPOCH, Map.of());
}
