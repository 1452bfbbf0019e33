package dev.skiff.kubelet.worker;

import java.time.Duration;

/**
 * The work the pod workers drive, one call at a time per pod uid (the kubelet implements it). A method
 * that throws is retried after the workers' back-off period; one that returns has done its phase.
 */
public interface PodSyncer<P> {
    /**
     * Brings the pod towards its desired state (sandbox, containers, status).
     *
     * @return true when the pod has reached a terminal phase (Succeeded or Failed): its worker then moves
     *         to terminating on its own, as upstream's completeSync
     */
    boolean syncPod(P pod, UpdateType updateType) throws Exception;

    /** Stops every container and the sandbox within {@code gracePeriod}; returns only when nothing runs. */
    void syncTerminatingPod(P pod, Duration gracePeriod) throws Exception;

    /** Releases what the terminated pod still holds (volumes, directories, final status). */
    void syncTerminatedPod(P pod) throws Exception;

    /** The pod's own grace period (spec.terminationGracePeriodSeconds; upstream default 30 s). */
    default Duration gracePeriod(P pod) {
        return Duration.ofSeconds(30);
    }
}
