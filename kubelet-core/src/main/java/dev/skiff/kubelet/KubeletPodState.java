package dev.skiff.kubelet;

import dev.skiff.kubelet.pleg.RuntimePod;
import dev.skiff.kubelet.worker.PodWorkers;
import dev.skiff.volume.PodStateProvider;
import io.fabric8.kubernetes.api.model.Pod;

import java.util.Collection;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The volume manager's view of the pods: the admitted ones, and what the pod workers and the runtime say of their
 * containers. The workers and the PLEG come through suppliers because they are built after the volume manager (the
 * workers' syncer waits on it); until then every pod counts as possibly running, so nothing is torn down.
 */
final class KubeletPodState implements PodStateProvider {
    private final PodManager pods;
    private final Supplier<PodWorkers<Pod>> workers;
    private final Supplier<Map<String, RuntimePod>> runtimePods;

    /** @param runtimePods the PLEG's last relist by pod uid (null until it runs) */
    KubeletPodState(PodManager pods, Supplier<PodWorkers<Pod>> workers, Supplier<Map<String, RuntimePod>> runtimePods) {
        this.pods = pods;
        this.workers = workers;
        this.runtimePods = runtimePods;
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

    /**
     * The workers' answer, and also true while the runtime still runs something of the pod: a pod the workers do not
     * know yet (an orphan found after a restart, before housekeeping kills it) keeps its volumes until it is stopped.
     */
    @Override
    public boolean couldHaveRunningContainers(String uid) {
        PodWorkers<Pod> w = workers.get();
        Map<String, RuntimePod> runtime = runtimePods.get();
        if (w == null || runtime == null) {
            return true;
        }
        if (w.couldHaveRunningContainers(uid)) {
            return true;
        }
        RuntimePod rp = runtime.get(uid);
        return rp != null && rp.anythingRunning();
    }
}
