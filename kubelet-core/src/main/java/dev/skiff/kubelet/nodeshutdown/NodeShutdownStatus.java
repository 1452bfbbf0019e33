package dev.skiff.kubelet.nodeshutdown;

import dev.skiff.kubelet.admission.AdmitResult;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;

import java.util.ArrayList;
import java.util.List;

/** Upstream's strings and the status a pod stopped for a node shutdown gets (nodeshutdown_manager_linux.go). */
public final class NodeShutdownStatus {
    public static final String REASON = "Terminated";
    public static final String MESSAGE = "Pod was terminated in response to imminent node shutdown.";
    public static final String NOT_ADMITTED_REASON = "NodeShutdown";
    public static final String NOT_ADMITTED_MESSAGE = "Pod was rejected as the node is shutting down.";
    /** v1.DisruptionTarget and v1.PodReasonTerminationByKubelet (PodDisruptionConditions, GA in 1.31). */
    public static final String DISRUPTION_TARGET = "DisruptionTarget";
    public static final String TERMINATION_BY_KUBELET = "TerminationByKubelet";

    private NodeShutdownStatus() {
    }

    /** What admission says about a new pod while the node shuts down. */
    public static AdmitResult notAdmitted() {
        return AdmitResult.reject(NOT_ADMITTED_REASON, NOT_ADMITTED_MESSAGE);
    }

    /**
     * Upstream's status function for a pod killed by the shutdown manager: Failed (unless it already Succeeded),
     * reason Terminated, the message, and a DisruptionTarget=True condition (replacing one of that type).
     */
    public static void apply(PodStatus status) {
        if (!"Succeeded".equals(status.getPhase())) {
            status.setPhase("Failed");
        }
        status.setReason(REASON);
        status.setMessage(MESSAGE);
        PodCondition disruption = new PodConditionBuilder().withType(DISRUPTION_TARGET).withStatus("True")
                .withReason(TERMINATION_BY_KUBELET).withMessage(MESSAGE).build();
        List<PodCondition> conditions = new ArrayList<>();
        if (status.getConditions() != null) {
            for (PodCondition c : status.getConditions()) {
                if (!DISRUPTION_TARGET.equals(c.getType())) {
                    conditions.add(c);
                }
            }
        }
        conditions.add(disruption);
        status.setConditions(conditions);
    }
}
