package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** upstream deploymentutil's condition helpers, reasons and SetDeploymentCondition semantics. */
final class DeploymentConditions {
    static final String AVAILABLE = "Available";
    static final String PROGRESSING = "Progressing";
    static final String NEW_RS_CREATED = "NewReplicaSetCreated";
    static final String FOUND_NEW_RS = "FoundNewReplicaSet";
    static final String RS_UPDATED = "ReplicaSetUpdated";
    static final String NEW_RS_AVAILABLE = "NewReplicaSetAvailable";
    static final String TIMED_OUT = "ProgressDeadlineExceeded";
    static final String MIN_AVAILABLE = "MinimumReplicasAvailable";
    static final String MIN_UNAVAILABLE = "MinimumReplicasUnavailable";

    private DeploymentConditions() {}

    static DeploymentCondition of(String type, String status, String reason, String message, Instant now) {
        DeploymentCondition c = new DeploymentCondition();
        c.setType(type);
        c.setStatus(status);
        c.setReason(reason);
        c.setMessage(message);
        c.setLastUpdateTime(Times.format(now));
        c.setLastTransitionTime(Times.format(now));
        return c;
    }

    static Optional<DeploymentCondition> get(DeploymentStatus s, String type) {
        return s.getConditions() == null ? Optional.empty()
                : s.getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    /** Unchanged when status and reason match; keeps lastTransitionTime when only the reason changes. */
    static void set(DeploymentStatus s, DeploymentCondition c) {
        Optional<DeploymentCondition> current = get(s, c.getType());
        if (current.isPresent() && current.get().getStatus().equals(c.getStatus())) {
            if (current.get().getReason() != null && current.get().getReason().equals(c.getReason())) {
                return;
            }
            c.setLastTransitionTime(current.get().getLastTransitionTime());
        }
        remove(s, c.getType());
        s.getConditions().add(c);
    }

    static void remove(DeploymentStatus s, String type) {
        List<DeploymentCondition> kept = new ArrayList<>();
        if (s.getConditions() != null) {
            s.getConditions().stream().filter(c -> !type.equals(c.getType())).forEach(kept::add);
        }
        s.setConditions(kept);
    }
}
