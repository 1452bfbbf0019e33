package dev.skiff.kubelet.kuberuntime;

import dev.skiff.kubelet.status.PodQos;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;

/** A container's oom_score_adj from its pod's QoS class (upstream qos.GetContainerOOMScoreAdjust). */
final class OomScoreAdjust {
    static final int GUARANTEED = -997;
    static final int BEST_EFFORT = 1000;

    private OomScoreAdjust() {
    }

    /** Critical static pods (priorityClassName system-node-critical) are treated as Guaranteed, as upstream. */
    static int of(Pod pod, Container container, long memoryCapacityBytes) {
        if ("system-node-critical".equals(pod.getSpec().getPriorityClassName())) {
            return GUARANTEED;
        }
        String qos = PodQos.compute(pod);
        if (qos.equals(PodQos.GUARANTEED)) {
            return GUARANTEED;
        }
        if (qos.equals(PodQos.BEST_EFFORT)) {
            return BEST_EFFORT;
        }
        var res = container.getResources();
        long memoryRequest = Quantities.value(Quantities.amount(res == null ? null : res.getRequests(), "memory"));
        long adj = 1000 - (1000 * memoryRequest) / memoryCapacityBytes;
        // a Guaranteed pod using all memory scores ~10: keep Burstable above it and below BestEffort
        if (adj < 1000 + GUARANTEED) {
            return 1000 + GUARANTEED;
        }
        if (adj == BEST_EFFORT) {
            return (int) adj - 1;
        }
        return (int) adj;
    }
}
