package dev.skiff.kubelet.admission;

import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;

/**
 * The verdict on one pod (upstream lifecycle.PodAdmitResult).
 *
 * @param admitted true when the pod may run
 * @param reason   a one-word CamelCase reason ("" when admitted), e.g. NodeAffinity, NodeName, OutOfpods
 * @param message  a human-readable message ("" when admitted)
 */
public record AdmitResult(boolean admitted, String reason, String message) {
    private static final AdmitResult ADMIT = new AdmitResult(true, "", "");

    public static AdmitResult admit() {
        return ADMIT;
    }

    public static AdmitResult reject(String reason, String message) {
        return new AdmitResult(false, reason, message);
    }

    /**
     * The status a rejected pod gets, as upstream's rejectPod writes it: phase Failed, the reason, and
     * the message prefixed with "Pod was rejected: ", keeping the QoS class.
     */
    public PodStatus rejectedStatus(String qosClass) {
        if (admitted) {
            throw new IllegalStateException("pod was admitted");
        }
        return new PodStatusBuilder()
                .withPhase("Failed")
                .withReason(reason)
                .withMessage("Pod was rejected: " + message)
                .withQosClass(qosClass)
                .build();
    }
}
