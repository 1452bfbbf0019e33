package dev.skiff.volume.pv;

/** PersistentVolumeClaim phases (core/v1 ClaimPending, ClaimBound, ClaimLost). */
public enum ClaimPhase {
    Pending, Bound, Lost
}
