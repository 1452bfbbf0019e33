package dev.skiff.volume.pv;

import java.util.Objects;

/**
 * Skiff's status of one claim. {@code volumeName} is the PV it is bound to (null while unbound); a claim in phase
 * Bound or Lost is "bind completed" (upstream's pv.kubernetes.io/bind-completed annotation). {@code message} says
 * why a Pending claim waits, or why a claim is Lost; empty otherwise.
 */
public record ClaimStatus(ClaimPhase phase, String volumeName, String message) {
    public ClaimStatus {
        Objects.requireNonNull(phase, "phase");
        volumeName = volumeName == null || volumeName.isEmpty() ? null : volumeName;
        message = message == null ? "" : message;
    }

    boolean bindCompleted() {
        return (phase == ClaimPhase.Bound || phase == ClaimPhase.Lost) && volumeName != null;
    }
}
