package dev.skiff.kubelet.pleg;

/** What changed for one container (or sandbox) of a pod between two relists, as upstream's PLEG names it. */
public enum PodLifecycleEventType {
    /** The container (or sandbox) is now running. */
    CONTAINER_STARTED,
    /** The container exited (or the sandbox became not ready). */
    CONTAINER_DIED,
    /** The container (or sandbox) is gone from the runtime. */
    CONTAINER_REMOVED,
    /** The container moved to a state the kubelet does not act on (created, unknown). Upstream drops these before the channel; so do we. */
    CONTAINER_CHANGED
}
