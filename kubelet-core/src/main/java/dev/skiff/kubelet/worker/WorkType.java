package dev.skiff.kubelet.worker;

/** What a pod's worker is doing: the three phases of upstream's podWorkers. */
public enum WorkType {
    /** The pod should be running: syncPod. */
    SYNC,
    /** No new container may start; running ones are being stopped: syncTerminatingPod. */
    TERMINATING,
    /** Nothing runs any more; resources are being cleaned up: syncTerminatedPod (and then finished). */
    TERMINATED
}
