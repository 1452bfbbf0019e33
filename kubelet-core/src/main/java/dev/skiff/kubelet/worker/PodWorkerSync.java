package dev.skiff.kubelet.worker;

/**
 * What {@link PodWorkers#syncKnownPods} reports for a pod it still tracks.
 *
 * @param state  the phase its worker is in
 * @param orphan true when the pod is no longer in the desired set (its worker drives it to completion)
 */
public record PodWorkerSync(WorkType state, boolean orphan) {
}
