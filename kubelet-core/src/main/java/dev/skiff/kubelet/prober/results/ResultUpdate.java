package dev.skiff.kubelet.prober.results;

/**
 * A cached result changed (upstream's results.Update).
 *
 * @param containerId the CRI container id (without the {@code docker://} prefix)
 * @param result      the new result
 * @param podUid      the pod the container belongs to
 */
public record ResultUpdate(String containerId, ProbeResult result, String podUid) {
}
