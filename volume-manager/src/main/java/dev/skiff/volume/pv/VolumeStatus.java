package dev.skiff.volume.pv;

import java.util.Objects;

/**
 * Skiff's status of one PV. {@code claimRef} is the effective reference (the user's spec.claimRef, completed with
 * the claim's uid once bound, or the one the binder set); null when the volume is free. {@code message} says why a
 * volume Failed; empty otherwise.
 */
public record VolumeStatus(VolumePhase phase, ClaimRef claimRef, String message) {
    public VolumeStatus {
        Objects.requireNonNull(phase, "phase");
        message = message == null ? "" : message;
    }
}
