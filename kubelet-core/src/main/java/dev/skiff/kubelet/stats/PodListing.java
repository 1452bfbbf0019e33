package dev.skiff.kubelet.stats;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.ContainerFilter;
import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.ContainerStateValue;
import dev.skiff.cri.v1.ListContainersRequest;
import dev.skiff.cri.v1.ListPodSandboxRequest;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.PodSandboxFilter;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.cri.v1.PodSandboxStateValue;
import dev.skiff.kubelet.pleg.RuntimePod;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The runtime's ready sandboxes and running containers, which the stats describe. In the kubelet they come from
 * the PLEG's last relist (at most a relist period old), as upstream's stats provider takes its pods from the
 * kubelet's caches rather than listing the runtime per request; standalone, from the runtime's list calls.
 */
record PodListing(List<PodSandbox> sandboxes, List<Container> containers, Set<String> ids) {
    PodListing {
        sandboxes = List.copyOf(sandboxes);
        containers = List.copyOf(containers);
        ids = Set.copyOf(ids);
    }

    /** {@code ids}: every sandbox's and container's id, the cgroups the stats read. */
    PodListing(List<PodSandbox> sandboxes, List<Container> containers) {
        this(sandboxes, containers, idsOf(sandboxes, containers));
    }

    private static Set<String> idsOf(List<PodSandbox> sandboxes, List<Container> containers) {
        Set<String> ids = new HashSet<>();
        sandboxes.forEach(s -> ids.add(s.getId()));
        containers.forEach(c -> ids.add(c.getId()));
        return ids;
    }

    /** Two list calls per use (ListPodSandbox for ready sandboxes, ListContainers for running containers). */
    static Supplier<PodListing> fromRuntime(RuntimeService runtime) {
        ListPodSandboxRequest ready = ListPodSandboxRequest.newBuilder().setFilter(PodSandboxFilter.newBuilder()
                .setState(PodSandboxStateValue.newBuilder().setState(PodSandboxState.SANDBOX_READY))).build();
        ListContainersRequest running = ListContainersRequest.newBuilder().setFilter(ContainerFilter.newBuilder()
                .setState(ContainerStateValue.newBuilder().setState(ContainerState.CONTAINER_RUNNING))).build();
        return () -> new PodListing(runtime.listPodSandbox(ready).getItemsList(),
                runtime.listContainers(running).getContainersList());
    }

    /**
     * From the PLEG's pods (uid → pod, one immutable map per relist): no runtime call. The listing of a relist is
     * made once and then given to every caller until the next relist.
     */
    static Supplier<PodListing> fromPleg(Supplier<Map<String, RuntimePod>> relisted) {
        return new Supplier<>() {
            private record Made(Map<String, RuntimePod> from, PodListing listing) {}

            private volatile Made last;

            @Override
            public PodListing get() {
                Map<String, RuntimePod> pods = relisted.get();
                Made m = last;
                if (m != null && m.from() == pods) {
                    return m.listing();
                }
                PodListing listing = of(pods == null ? List.of() : pods.values());
                last = new Made(pods, listing);
                return listing;
            }
        };
    }

    private static PodListing of(Iterable<RuntimePod> pods) {
        List<PodSandbox> ready = new ArrayList<>();
        List<Container> running = new ArrayList<>();
        for (RuntimePod p : pods) {
            for (PodSandbox s : p.sandboxes()) {
                if (s.getState() == PodSandboxState.SANDBOX_READY) {
                    ready.add(s);
                }
            }
            for (Container c : p.containers()) {
                if (c.getState() == ContainerState.CONTAINER_RUNNING) {
                    running.add(c);
                }
            }
        }
        return new PodListing(ready, running);
    }
}
