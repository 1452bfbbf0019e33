package dev.skiff.kubelet.kuberuntime.manager;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.ContainerFilter;
import dev.skiff.cri.v1.ListContainersRequest;
import dev.skiff.cri.v1.ListPodSandboxRequest;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.PodSandboxFilter;
import dev.skiff.kubelet.kuberuntime.KubeAnnotations;
import dev.skiff.kubelet.pleg.RuntimePod;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One pod's sandboxes and containers, listed fresh from the runtime by the pod uid label. The sync path reads
 * the runtime itself rather than PLEG's last snapshot so that a decision never rests on a relist that predates
 * the sync's own changes.
 */
public final class RuntimePods {
    private final RuntimeService runtime;

    public RuntimePods(RuntimeService runtime) {
        this.runtime = runtime;
    }

    public RuntimePod list(String uid, String namespace, String name) {
        List<PodSandbox> sandboxes = new ArrayList<>(runtime.listPodSandbox(ListPodSandboxRequest.newBuilder()
                .setFilter(PodSandboxFilter.newBuilder().putLabelSelector(KubeAnnotations.POD_UID, uid)).build())
                .getItemsList());
        List<Container> containers = new ArrayList<>(runtime.listContainers(ListContainersRequest.newBuilder()
                .setFilter(ContainerFilter.newBuilder().putLabelSelector(KubeAnnotations.POD_UID, uid)).build())
                .getContainersList());
        sandboxes.sort(Comparator.comparingLong(PodSandbox::getCreatedAt).reversed());
        containers.sort(Comparator.comparingLong(Container::getCreatedAt).reversed());
        return new RuntimePod(uid, name, namespace, sandboxes, containers);
    }
}
