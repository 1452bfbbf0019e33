package dev.skiff.volume.populator;

import dev.skiff.volume.PodStateProvider;
import dev.skiff.volume.cache.DesiredStateOfWorld;
import io.fabric8.kubernetes.api.model.Pod;

import java.util.HashSet;
import java.util.Set;

/**
 * Fills the desired state of world from the kubelet's pods (upstream desired_state_of_world_populator): adds the
 * pods that may run, and removes a pod — so its volumes go — only once it is no longer wanted or is terminating,
 * and its containers can no longer be running.
 */
public final class DesiredStateOfWorldPopulator {
    private final PodStateProvider podState;
    private final DesiredStateOfWorld desired;

    public DesiredStateOfWorldPopulator(PodStateProvider podState, DesiredStateOfWorld desired) {
        this.podState = podState;
        this.desired = desired;
    }

    /** One pass; returns true when the desired state changed. */
    public boolean populate() {
        boolean changed = false;
        Set<String> wanted = new HashSet<>();
        for (Pod pod : podState.pods()) {
            String uid = pod.getMetadata().getUid();
            if (podState.isPodTerminationRequested(uid)) {
                continue;
            }
            wanted.add(uid);
            changed |= desired.addPod(pod);
        }
        for (String uid : desired.podUids()) {
            if (!wanted.contains(uid) && !podState.couldHaveRunningContainers(uid)) {
                changed |= desired.removePod(uid);
            }
        }
        return changed;
    }

    /** Adds one pod now (the pod worker is about to wait for its volumes), unless it is terminating. */
    public boolean addPod(Pod pod) {
        if (podState.isPodTerminationRequested(pod.getMetadata().getUid())) {
            return false;
        }
        return desired.addPod(pod);
    }
}
