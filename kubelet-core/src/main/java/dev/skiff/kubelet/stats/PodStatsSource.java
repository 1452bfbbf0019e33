package dev.skiff.kubelet.stats;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.stats.CgroupStatsReader;
import dev.skiff.cri.stats.StatsSnapshot;
import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.ContainerStateValue;
import dev.skiff.cri.v1.ContainerStatsFilter;
import dev.skiff.cri.v1.ContainerFilter;
import dev.skiff.cri.v1.ListContainerStatsRequest;
import dev.skiff.cri.v1.ListContainersRequest;
import dev.skiff.cri.v1.ListPodSandboxRequest;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.PodSandboxFilter;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.cri.v1.PodSandboxStateValue;
import dev.skiff.cri.v1.VersionRequest;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What every stats answer starts from, as upstream's CRI stats provider with cAdvisor: the pods and containers
 * come from the runtime (ListPodSandbox, ListContainers), their CPU, memory, processes and network from the
 * cgroup hierarchy, found by the container id in the cgroup's name (what cAdvisor does), so the same code serves
 * the in-process Docker shim and a remote containerd; the writable layers from ListContainerStats.
 */
final class PodStatsSource {
    private final RuntimeService runtime;
    private final CgroupStatsReader reader;
    private volatile String runtimeName;

    PodStatsSource(RuntimeService runtime, CgroupStatsReader reader) {
        this.runtime = runtime;
        this.reader = reader;
    }

    CgroupStatsReader reader() {
        return reader;
    }

    RuntimeView read() {
        StatsSnapshot snap = reader.snapshot();
        List<PodSandbox> sandboxes = runtime.listPodSandbox(ListPodSandboxRequest.newBuilder().setFilter(PodSandboxFilter.newBuilder()
                .setState(PodSandboxStateValue.newBuilder().setState(PodSandboxState.SANDBOX_READY))).build()).getItemsList();
        List<Container> running = runtime.listContainers(ListContainersRequest.newBuilder().setFilter(ContainerFilter.newBuilder()
                .setState(ContainerStateValue.newBuilder().setState(ContainerState.CONTAINER_RUNNING))).build()).getContainersList();
        Map<String, List<RuntimeView.ContainerView>> bySandbox = new HashMap<>();
        for (Container c : running) {
            bySandbox.computeIfAbsent(c.getPodSandboxId(), k -> new ArrayList<>())
                    .add(new RuntimeView.ContainerView(c, snap.container(c.getId())));
        }
        List<RuntimeView.PodView> pods = new ArrayList<>();
        for (PodSandbox s : sandboxes) {
            List<RuntimeView.ContainerView> members = new ArrayList<>(bySandbox.getOrDefault(s.getId(), List.of()));
            members.sort(Comparator.comparing(RuntimeView.ContainerView::name));
            pods.add(new RuntimeView.PodView(s, snap.container(s.getId()), members));
        }
        pods.sort(Comparator.comparing(RuntimeView.PodView::namespace).thenComparing(RuntimeView.PodView::name));
        return new RuntimeView(snap, pods);
    }

    /** Container id → the runtime's stats (for the writable layer). */
    Map<String, dev.skiff.cri.v1.ContainerStats> runtimeContainerStats() {
        Map<String, dev.skiff.cri.v1.ContainerStats> out = new HashMap<>();
        for (dev.skiff.cri.v1.ContainerStats s : runtime.listContainerStats(ListContainerStatsRequest.newBuilder()
                .setFilter(ContainerStatsFilter.getDefaultInstance()).build()).getStatsList()) {
            out.put(s.getAttributes().getId(), s);
        }
        return out;
    }

    /** "docker" for the Docker shim (cAdvisor's docker handler then names containers as Docker does). */
    String runtimeName() {
        String name = runtimeName;
        if (name == null) {
            name = runtime.version(VersionRequest.getDefaultInstance()).getRuntimeName();
            runtimeName = name;
        }
        return name;
    }
}
