package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import dev.skiff.cri.v1.*;
import dev.skiff.cri.stats.CgroupSample;
import dev.skiff.cri.stats.CgroupStatsReader;
import dev.skiff.cri.stats.ContainerSample;
import dev.skiff.cri.stats.InterfaceUsage;
import dev.skiff.cri.stats.PodSum;
import dev.skiff.cri.stats.StatsSnapshot;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The CRI stats calls answered from the cgroup reader (one cached pass over every container, never
 * {@code docker stats}) and one Docker list call per request, with containerd's field semantics: cumulative CPU
 * plus usage_nano_cores since the previous read, working set = usage − inactive file, available = limit −
 * working set when limited, the writable layer from a background measurement, a pod's CPU and memory the sum of
 * its sandbox and containers (Docker gives a pod no cgroup of its own unless a parent is set), its network the
 * sandbox's namespace (eth0 the default interface), its process count the sum of pids.
 */
final class DockerStats implements AutoCloseable {
    private final DockerClient docker;
    private final ContainerService containers;
    private final SandboxService sandboxes;
    private final CgroupStatsReader reader;
    private final WritableLayers layers;

    DockerStats(DockerClient docker, ContainerService containers, SandboxService sandboxes, CgroupStatsReader reader) {
        this.docker = docker;
        this.containers = containers;
        this.sandboxes = sandboxes;
        this.reader = reader;
        this.layers = new WritableLayers(docker);
    }

    /** A Docker container as the stats need it, from a list entry or an inspect. */
    record Member(String id, String dockerName, Map<String, String> labels, String image, long createdSeconds) {
        static Member of(Container c) {
            return new Member(c.getId(), c.getNames() == null || c.getNames().length == 0 ? "" : c.getNames()[0],
                    c.getLabels() == null ? Map.of() : c.getLabels(), c.getImage() == null ? "" : c.getImage(),
                    c.getCreated() == null ? 0 : c.getCreated());
        }

        static Member of(InspectContainerResponse r) {
            Map<String, String> labels = r.getConfig().getLabels() == null ? Map.of() : r.getConfig().getLabels();
            return new Member(r.getId(), r.getName() == null ? "" : r.getName(), labels,
                    r.getConfig().getImage() == null ? "" : r.getConfig().getImage(),
                    ContainerService.nanos(r.getCreated()) / 1_000_000_000L);
        }

        String sandboxId() {
            return labels.getOrDefault(KubeLabels.SANDBOX_ID, "");
        }

        ContainerMetadata metadata() {
            return ContainerService.containerMetadata(dockerName, labels);
        }
    }

    ContainerStats containerStats(String id) {
        Member m = Member.of(containers.inspectContainer(id));
        return containerStats(m, reader.snapshot(java.util.Set.of(m.id())));
    }

    ListContainerStatsResponse listContainerStats(ContainerStatsFilter f) {
        List<Member> listed = containers.listDocker(f.getId(), f.getPodSandboxId(), f.getLabelSelectorMap()).stream()
                .map(Member::of).toList();
        StatsSnapshot snap = reader.snapshot(ids(listed));
        ListContainerStatsResponse.Builder out = ListContainerStatsResponse.newBuilder();
        for (Member m : listed) {
            out.addStats(containerStats(m, snap));
        }
        return out.build();
    }

    PodSandboxStats podSandboxStats(String id) {
        InspectContainerResponse r = sandboxes.inspectSandbox(id);
        Map<String, String> labels = r.getConfig().getLabels() == null ? Map.of() : r.getConfig().getLabels();
        PodSandboxAttributes attributes = PodSandboxAttributes.newBuilder().setId(r.getId())
                .setMetadata(SandboxService.metadata(r.getName(), labels))
                .putAllLabels(KubeLabels.criLabels(labels)).putAllAnnotations(KubeLabels.criAnnotations(labels)).build();
        List<Member> members = containers.listDocker("", r.getId(), Map.of()).stream().map(Member::of).toList();
        java.util.Set<String> ids = new java.util.HashSet<>(ids(members));
        ids.add(r.getId());
        return podStats(attributes, members, reader.snapshot(ids));
    }

    ListPodSandboxStatsResponse listPodSandboxStats(PodSandboxStatsFilter f) {
        List<PodSandbox> pods = readySandboxes(f.getId(), f.getLabelSelectorMap());
        Map<String, List<Member>> bySandbox = membersBySandbox();
        StatsSnapshot snap = reader.snapshot(ids(pods, bySandbox));
        ListPodSandboxStatsResponse.Builder out = ListPodSandboxStatsResponse.newBuilder();
        for (PodSandbox pod : pods) {
            PodSandboxAttributes attributes = PodSandboxAttributes.newBuilder().setId(pod.getId())
                    .setMetadata(pod.getMetadata()).putAllLabels(pod.getLabelsMap())
                    .putAllAnnotations(pod.getAnnotationsMap()).build();
            out.addStats(podStats(attributes, bySandbox.getOrDefault(pod.getId(), List.of()), snap));
        }
        return out.build();
    }

    ListMetricDescriptorsResponse listMetricDescriptors() {
        return ListMetricDescriptorsResponse.newBuilder().addAllDescriptors(SandboxMetrics.DESCRIPTORS).build();
    }

    ListPodSandboxMetricsResponse listPodSandboxMetrics() {
        List<PodSandbox> pods = readySandboxes("", Map.of());
        Map<String, List<Member>> bySandbox = membersBySandbox();
        StatsSnapshot snap = reader.snapshot(ids(pods, bySandbox));
        ListPodSandboxMetricsResponse.Builder out = ListPodSandboxMetricsResponse.newBuilder();
        for (PodSandbox pod : pods) {
            out.addPodMetrics(SandboxMetrics.of(pod, bySandbox.getOrDefault(pod.getId(), List.of()), snap));
        }
        return out.build();
    }

    /** The cgroups to read: only the listed containers', not every container of the host. */
    private static java.util.Set<String> ids(List<Member> members) {
        java.util.Set<String> out = new java.util.HashSet<>();
        members.forEach(m -> out.add(m.id()));
        return out;
    }

    private static java.util.Set<String> ids(List<PodSandbox> pods, Map<String, List<Member>> bySandbox) {
        java.util.Set<String> out = new java.util.HashSet<>();
        for (PodSandbox pod : pods) {
            out.add(pod.getId());
            bySandbox.getOrDefault(pod.getId(), List.of()).forEach(m -> out.add(m.id()));
        }
        return out;
    }

    private List<PodSandbox> readySandboxes(String id, Map<String, String> selector) {
        return sandboxes.list(ListPodSandboxRequest.newBuilder().setFilter(PodSandboxFilter.newBuilder()
                .setId(id).putAllLabelSelector(selector)
                .setState(PodSandboxStateValue.newBuilder().setState(PodSandboxState.SANDBOX_READY))).build()).getItemsList();
    }

    /** Every pod container, grouped by sandbox id: one Docker call for all pods. */
    private Map<String, List<Member>> membersBySandbox() {
        Map<String, List<Member>> out = new HashMap<>();
        for (Container c : containers.listDocker("", "", Map.of())) {
            Member m = Member.of(c);
            out.computeIfAbsent(m.sandboxId(), k -> new ArrayList<>()).add(m);
        }
        return out;
    }

    private ContainerStats containerStats(Member m, StatsSnapshot snap) {
        ContainerStats.Builder b = ContainerStats.newBuilder().setAttributes(ContainerAttributes.newBuilder()
                .setId(m.id()).setMetadata(m.metadata())
                .putAllLabels(KubeLabels.criLabels(m.labels()))
                .putAllAnnotations(KubeLabels.criAnnotations(m.labels())));
        snap.container(m.id()).ifPresent(s -> b.setCpu(cpu(s.sample(), s.cpuNanoCores())).setMemory(memory(s.sample())));
        layers.usage(m.id()).ifPresent(u -> b.setWritableLayer(FilesystemUsage.newBuilder()
                .setTimestamp(u.timestampNanos())
                .setFsId(FilesystemIdentifier.newBuilder().setMountpoint(dockerRoot()))
                .setUsedBytes(u64(u.usedBytes())).setInodesUsed(u64(u.inodesUsed()))));
        return b.build();
    }

    private PodSandboxStats podStats(PodSandboxAttributes attributes, List<Member> members, StatsSnapshot snap) {
        LinuxPodSandboxStats.Builder linux = LinuxPodSandboxStats.newBuilder();
        List<ContainerSample> samples = new ArrayList<>();
        Optional<ContainerSample> infra = snap.container(attributes.getId());
        infra.ifPresent(samples::add);
        for (Member m : members) {
            linux.addContainers(containerStats(m, snap));
            snap.container(m.id()).ifPresent(samples::add);
        }
        if (!samples.isEmpty()) {
            PodSum sum = PodSum.of(samples, snap.timestampNanos());
            linux.setCpu(cpu(sum.sample(), sum.nanoCores())).setMemory(memory(sum.sample()))
                    .setProcess(ProcessUsage.newBuilder().setTimestamp(snap.timestampNanos())
                            .setProcessCount(u64(sum.sample().processes())));
        }
        infra.ifPresent(s -> linux.setNetwork(network(snap.network(s), snap.timestampNanos())));
        return PodSandboxStats.newBuilder().setAttributes(attributes).setLinux(linux).build();
    }

    static CpuUsage cpu(CgroupSample s, java.util.OptionalLong nanoCores) {
        CpuUsage.Builder b = CpuUsage.newBuilder().setTimestamp(s.timestampNanos())
                .setUsageCoreNanoSeconds(u64(s.cpuUsageNanos()));
        nanoCores.ifPresent(n -> b.setUsageNanoCores(u64(n)));
        return b.build();
    }

    static MemoryUsage memory(CgroupSample s) {
        MemoryUsage.Builder b = MemoryUsage.newBuilder().setTimestamp(s.timestampNanos())
                .setWorkingSetBytes(u64(s.memoryWorkingSetBytes()))
                .setUsageBytes(u64(s.memoryUsageBytes()))
                .setRssBytes(u64(s.memoryRssBytes()))
                .setPageFaults(u64(s.pageFaults()))
                .setMajorPageFaults(u64(s.majorPageFaults()));
        s.memoryAvailableBytes().ifPresent(a -> b.setAvailableBytes(u64(a)));
        return b.build();
    }

    /** containerd's: eth0 is the default interface, the others are listed beside it. */
    static NetworkUsage network(List<InterfaceUsage> interfaces, long timestamp) {
        NetworkUsage.Builder b = NetworkUsage.newBuilder().setTimestamp(timestamp);
        for (InterfaceUsage i : interfaces) {
            NetworkInterfaceUsage u = NetworkInterfaceUsage.newBuilder().setName(i.name())
                    .setRxBytes(u64(i.rxBytes())).setRxErrors(u64(i.rxErrors()))
                    .setTxBytes(u64(i.txBytes())).setTxErrors(u64(i.txErrors())).build();
            if (i.name().equals("eth0")) {
                b.setDefaultInterface(u);
            } else {
                b.addInterfaces(u);
            }
        }
        return b.build();
    }

    static UInt64Value u64(long v) {
        return UInt64Value.newBuilder().setValue(v).build();
    }

    /** Docker's root directory, the mountpoint ImageFsInfo reports: writable layers live on it too. */
    private String dockerRoot() {
        return layers.storage().root().toString();
    }

    void forget(String containerId) {
        layers.forget(containerId);
    }

    @Override
    public void close() {
        layers.close();
    }
}
