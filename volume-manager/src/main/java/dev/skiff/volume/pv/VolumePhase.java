package dev.skiff.volume.pv;

/** PersistentVolume phases Skiff uses (core/v1; Pending is never reported: a PV is Available once seen). */
public enum VolumePhase {
    Available, Bound, Released, Failed
}
