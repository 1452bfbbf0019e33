package dev.skiff.kubelet;

import dev.skiff.kubelet.worker.PodWorkers;
import dev.skiff.volume.PodStateProvider;
import io.fabric8.kubernetes.api.model.Pod;

import java.util.Collection;
import java.util.function.Supplier;

/**
 * The volume manager's view of the pods: the admitted ones, and what the pod workers say of their containers.
 * The workers come through a supplier because they are built after the volume manager (their syncer waits on it);
 * until then every pod counts as possibly running, so nothing is torn down.
 */
final class KubeletPodState implements PodStateProvider {
    private final PodManager pods;
    private final Supplier<PodWorkers<Pod>> workers;

    KubeletPodState(PodManager pods, Supplier<PodWorkers<Pod>> workers) {
        this.pods = pods;
        this.workers = workers;
    }

    @Override
    public Collection<Pod> pods() {
        return pods.admitted();
    }

    @Override
    public boolean isPodTerminationRequested(String uid) {
        PodWorkers<Pod> w = workers.get();
        return w != null && w.isPodTerminationRequested(uid);
    }

    @Override
    public boolean couldHaveRunningContainers(String uid) {
        PodWorkers<Pod> w = workers.get();
        return w == null || w.couldHaveRunningContainers(uid);
    }
}
