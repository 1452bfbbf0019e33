package dev.skiff.volume;

import io.fabric8.kubernetes.api.model.Pod;

import java.util.Collection;

/** What the volume manager needs to know of the kubelet's pods (upstream podStateProvider plus the pod manager). */
public interface PodStateProvider {
    /** The pods the kubelet wants on the node (desired pods, including terminal ones). */
    Collection<Pod> pods();

    /** True once the pod is being terminated: it gets no new volumes. */
    boolean isPodTerminationRequested(String uid);

    /** False once the pod's containers are stopped for good (or it is unknown after start-up): its volumes may go. */
    boolean couldHaveRunningContainers(String uid);
}
