package dev.skiff.kubelet.worker;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * The work the pod workers drive, one unit at a time per pod uid (the kubelet implements it). syncPod and
 * syncTerminatingPod return at once with a stage for what they still wait for (grace periods, hooks, image pulls),
 * so a worker thread is never held by one pod's wait; the pod's next unit starts when the stage completes. A
 * method that throws, or whose stage fails, is retried after the workers' back-off period.
 */
public interface PodSyncer<P> {
    /**
     * Brings the pod towards its desired state (sandbox, containers, status).
     *
     * @return completes with true when the pod has reached a terminal phase (Succeeded or Failed): its worker then
     *         moves to terminating on its own, as upstream's completeSync
     */
    CompletionStage<Boolean> syncPod(P pod, UpdateType updateType, SyncContext context) throws Exception;

    /** Stops every container and the sandbox within {@code gracePeriod}; completes only when nothing runs. */
    CompletionStage<Void> syncTerminatingPod(P pod, Duration gracePeriod, SyncContext context) throws Exception;

    /** Releases what the terminated pod still holds (volumes, directories, final status). */
    void syncTerminatedPod(P pod) throws Exception;

    /** The pod's own grace period (spec.terminationGracePeriodSeconds; upstream default 30 s). */
    default Duration gracePeriod(P pod) {
        return Duration.ofSeconds(30);
    }
}
