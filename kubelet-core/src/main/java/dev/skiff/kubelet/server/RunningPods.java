package dev.skiff.kubelet.server;

import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.kubelet.pleg.RuntimePod;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ListMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodList;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * {@code /runningpods/}: the pods the runtime runs, as upstream's GetRunningPods and Pod.ToAPIPod write them: a v1
 * PodList whose pods carry only name, namespace and uid, and their running containers' name and image. Pure.
 */
public final class RunningPods {
    private RunningPods() {
    }

    public static PodList list(Collection<RuntimePod> runtimePods) {
        List<Pod> pods = new ArrayList<>();
        for (RuntimePod rp : runtimePods) {
            List<Container> containers = new ArrayList<>();
            rp.containers().stream().filter(c -> c.getState() == ContainerState.CONTAINER_RUNNING)
                    .forEach(c -> containers.add(new ContainerBuilder().withName(c.getMetadata().getName())
                            .withImage(c.getImage().getImage()).build()));
            boolean sandboxReady = rp.sandboxes().stream().anyMatch(s -> s.getState() == PodSandboxState.SANDBOX_READY);
            if (containers.isEmpty() && !sandboxReady) {
                continue;
            }
            pods.add(new PodBuilder().withNewMetadata().withName(rp.name()).withNamespace(rp.namespace())
                    .withUid(rp.uid()).endMetadata().withNewSpec().withContainers(containers).endSpec().build());
        }
        pods.sort(Comparator.comparing((Pod p) -> p.getMetadata().getNamespace()).thenComparing(p -> p.getMetadata().getName()));
        return new PodList("v1", pods, "PodList", new ListMeta());
    }
}
