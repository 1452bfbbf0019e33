package dev.skiff.kubelet.source;

import io.fabric8.kubernetes.api.model.Pod;

import java.util.List;
import java.util.Objects;

/**
 * A change to the desired pods of one source (upstream's kubetypes.PodUpdate, incremental mode). An ADD with no
 * pods is sent once when a source delivers its first snapshot without any pod: it says the source is ready.
 * Pods are shared: treat them as read-only.
 */
public record PodUpdate(Op op, List<Pod> pods, String source) {
    public enum Op {
        /** New pods (new uid). */
        ADD,
        /** Pods whose spec, labels or non-local annotations changed, same uid. */
        UPDATE,
        /** Pods no longer in the source. */
        REMOVE,
        /** Only the status changed; the kubelet owns status, so nothing to run. */
        RECONCILE
    }

    public PodUpdate {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(source, "source");
        pods = List.copyOf(pods);
    }
}
