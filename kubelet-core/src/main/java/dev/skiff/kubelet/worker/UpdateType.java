package dev.skiff.kubelet.worker;

/** Why a pod update was sent, as upstream's SyncPodType. */
public enum UpdateType {
    /** A periodic or event-driven resync. */
    SYNC,
    /** The pod was added. */
    CREATE,
    /** The pod's spec changed. */
    UPDATE,
    /** The pod must be stopped (removed from config, or rejected). */
    KILL
}
