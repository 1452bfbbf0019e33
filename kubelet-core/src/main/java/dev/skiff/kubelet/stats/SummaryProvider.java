package dev.skiff.kubelet.stats;

import dev.skiff.cri.ImageService;
import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.stats.CgroupSample;
import dev.skiff.cri.stats.CgroupStatsReader;
import dev.skiff.cri.stats.ContainerSample;
import dev.skiff.cri.stats.DiskUsage;
import dev.skiff.cri.stats.InterfaceUsage;
import dev.skiff.cri.stats.PodSum;
import dev.skiff.cri.stats.Statfs;
import dev.skiff.cri.v1.FilesystemUsage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Builds the Summary API answer ({@code /stats/summary}) as upstream's stats provider does: the node (root
 * cgroup, the kubelet's own cgroup and the pods as system containers, host network, the root dir's and the
 * runtime's filesystems, rlimit) and every ready pod (its sandbox and running containers from the runtime, CPU
 * and memory from their cgroups, network from the sandbox's namespace, rootfs from the runtime's writable layer
 * figures, logs from the pod log directory, volumes from {@link VolumeStatsCache}, ephemeral storage as the sum
 * of those). With {@code onlyCpuAndMemory} only names, times, CPU and memory, as upstream's
 * {@code only_cpu_and_memory=true}. usageNanoCores needs a previous read of the same cgroup: absent on the first.
 */
public final class SummaryProvider {
    private static final Logger log = LoggerFactory.getLogger(SummaryProvider.class);
    /** cAdvisor's ignored host interfaces: loopback, container ends of veth pairs, Docker bridges. */
    private static final List<String> IGNORED_HOST_INTERFACES = List.of("lo", "veth", "docker", "nerdctl");

    private final String nodeName;
    private final PodStatsSource source;
    private final VolumeStatsCache volumes;
    private final Path rootDir;
    private final Path podLogsDir;
    private final long memoryCapacityBytes;
    private final HostInfo host;
    private final Clock clock;
    private ContainerSample lastKubelet;
    private volatile Made lastFull;
    private volatile Made lastCpuAndMemory;

    public SummaryProvider(String nodeName, RuntimeService runtime, ImageService images, CgroupStatsReader reader,
                           VolumeStatsCache volumes, Path rootDir, Path podLogsDir, long memoryCapacityBytes) {
        this(nodeName, new PodStatsSource(PodListing.fromRuntime(runtime), runtime, images, reader), volumes, rootDir,
                podLogsDir, memoryCapacityBytes, new HostInfo(Path.of("/proc")), Clock.systemUTC());
    }

    SummaryProvider(String nodeName, PodStatsSource source, VolumeStatsCache volumes, Path rootDir,
                    Path podLogsDir, long memoryCapacityBytes, HostInfo host, Clock clock) {
        this.nodeName = nodeName;
        this.source = source;
        this.volumes = volumes;
        this.rootDir = rootDir;
        this.podLogsDir = podLogsDir;
        this.memoryCapacityBytes = memoryCapacityBytes;
        this.host = host;
        this.clock = clock;
    }

    PodStatsSource source() {
        return source;
    }

    /**
     * The Summary; {@code onlyCpuAndMemory} as {@code ?only_cpu_and_memory=true}. Requests within one cgroup snapshot
     * and one relist (at most a second) get the answer the first of them made. Runtime failures propagate.
     */
    public Summary summary(boolean onlyCpuAndMemory) {
        RuntimeView view = source.read();
        Made m = onlyCpuAndMemory ? lastCpuAndMemory : lastFull;
        if (m != null && m.view() == view) {
            return m.summary();
        }
        Summary summary = summary(view, onlyCpuAndMemory);
        if (onlyCpuAndMemory) {
            lastCpuAndMemory = new Made(view, summary);
        } else {
            lastFull = new Made(view, summary);
        }
        return summary;
    }

    /** An answer and the view it was made from. */
    private record Made(RuntimeView view, Summary summary) {}

    private Summary summary(RuntimeView view, boolean onlyCpuAndMemory) {
        boolean full = !onlyCpuAndMemory;
        Map<String, dev.skiff.cri.v1.ContainerStats> layers = full ? source.runtimeContainerStats() : Map.of();
        Optional<FsContext> fs = full ? Optional.of(fsContext()) : Optional.empty();
        List<Summary.PodStats> pods = new ArrayList<>();
        List<ContainerSample> allPodCgroups = new ArrayList<>();
        for (RuntimeView.PodView pod : view.pods()) {
            pods.add(podStats(pod, layers, fs, view));
            pod.infra().ifPresent(allPodCgroups::add);
            pod.containers().forEach(c -> c.sample().ifPresent(allPodCgroups::add));
        }
        return new Summary(nodeStats(view, allPodCgroups, fs), List.copyOf(pods));
    }

    private Summary.NodeStats nodeStats(RuntimeView view, List<ContainerSample> podCgroups, Optional<FsContext> fs) {
        ContainerSample root = view.snapshot().node();
        List<Summary.ContainerStats> system = new ArrayList<>();
        kubeletCgroup().ifPresent(k -> system.add(new Summary.ContainerStats("kubelet", null,
                cpu(k.sample(), k.cpuNanoCores()), memory(k.sample(), OptionalLong.empty()), null, null)));
        if (!podCgroups.isEmpty()) {
            PodSum pods = PodSum.of(podCgroups, view.snapshot().timestampNanos());
            system.add(new Summary.ContainerStats("pods", null, cpu(pods.sample(), pods.nanoCores()),
                    memory(pods.sample(), OptionalLong.empty()), null, null));
        }
        String start = host.bootTimeSeconds().stream().mapToObj(s -> Times.rfc3339(s * 1_000_000_000L)).findFirst().orElse(null);
        OptionalLong capacity = memoryCapacityBytes > 0 ? OptionalLong.of(memoryCapacityBytes) : OptionalLong.empty();
        Summary.CpuStats cpu = cpu(root.sample(), root.cpuNanoCores());
        Summary.MemoryStats memory = memory(root.sample(), capacity);
        if (fs.isEmpty()) {
            return new Summary.NodeStats(nodeName, system, start, cpu, memory, null, null, null, null);
        }
        String now = Times.rfc3339(clock.instant());
        List<InterfaceUsage> hostIfs = view.snapshot().hostNetwork().stream()
                .filter(i -> IGNORED_HOST_INTERFACES.stream().noneMatch(p -> i.name().startsWith(p))).toList();
        Summary.RlimitStats rlimit = new Summary.RlimitStats(now, boxed(host.maxPid()), boxed(host.processes()));
        Summary.RuntimeStats runtime = new Summary.RuntimeStats(fs.get().imageFs(), fs.get().imageFs());
        return new Summary.NodeStats(nodeName, system, start, cpu, memory,
                network(hostIfs, view.snapshot().timestampNanos()), fs.get().rootFs(), runtime, rlimit);
    }

    private Summary.PodStats podStats(RuntimeView.PodView pod, Map<String, dev.skiff.cri.v1.ContainerStats> layers,
                                      Optional<FsContext> fs, RuntimeView view) {
        Summary.PodReference ref = new Summary.PodReference(pod.name(), pod.namespace(), pod.uid());
        String start = Times.rfc3339(pod.sandbox().getCreatedAt());
        List<Summary.ContainerStats> containers = new ArrayList<>();
        List<ContainerSample> cgroups = new ArrayList<>();
        pod.infra().ifPresent(cgroups::add);
        long ephemeralUsed = 0, ephemeralInodes = 0;
        for (RuntimeView.ContainerView c : pod.containers()) {
            c.sample().ifPresent(cgroups::add);
            Summary.CpuStats cpu = c.sample().map(s -> cpu(s.sample(), s.cpuNanoCores())).orElse(null);
            Summary.MemoryStats memory = c.sample().map(s -> memory(s.sample(), OptionalLong.empty())).orElse(null);
            Summary.FsStats rootfs = null, logs = null;
            if (fs.isPresent()) {
                rootfs = rootfs(layers.get(c.container().getId()), fs.get());
                logs = logs(pod, c.name(), fs.get());
                ephemeralUsed += orZero(rootfs == null ? null : rootfs.usedBytes()) + orZero(logs == null ? null : logs.usedBytes());
                ephemeralInodes += orZero(rootfs == null ? null : rootfs.inodesUsed()) + orZero(logs == null ? null : logs.inodesUsed());
            }
            containers.add(new Summary.ContainerStats(c.name(), Times.rfc3339(c.container().getCreatedAt()), cpu, memory, rootfs, logs));
        }
        Summary.CpuStats cpu = null;
        Summary.MemoryStats memory = null;
        Long processes = null;
        if (!cgroups.isEmpty()) {
            PodSum sum = PodSum.of(cgroups, view.snapshot().timestampNanos());
            cpu = cpu(sum.sample(), sum.nanoCores());
            memory = memory(sum.sample(), OptionalLong.empty());
            processes = sum.sample().processes();
        }
        if (fs.isEmpty()) {
            return new Summary.PodStats(ref, start, containers, cpu, memory, null, null, null, null);
        }
        List<Summary.VolumeStats> vols = volumes.forPod(pod.uid());
        for (Summary.VolumeStats v : vols) {
            if (v.pvcRef() == null) { // a claim's volume is not the pod's ephemeral storage
                ephemeralUsed += orZero(v.fs().usedBytes());
                ephemeralInodes += orZero(v.fs().inodesUsed());
            }
        }
        Summary.FsStats root = fs.get().rootFs();
        Summary.FsStats ephemeral = new Summary.FsStats(root.time(), root.availableBytes(), root.capacityBytes(),
                ephemeralUsed, root.inodesFree(), root.inodes(), ephemeralInodes);
        Summary.NetworkStats network = pod.infra().map(s -> network(view.snapshot().network(s), view.snapshot().timestampNanos())).orElse(null);
        return new Summary.PodStats(ref, start, containers, cpu, memory, network, vols, ephemeral,
                new Summary.ProcessStats(processes));
    }

    /** The writable layer's use on the runtime's filesystem, with that filesystem's capacity. */
    private static Summary.FsStats rootfs(dev.skiff.cri.v1.ContainerStats stats, FsContext fs) {
        if (stats == null || !stats.hasWritableLayer()) {
            return null;
        }
        FilesystemUsage w = stats.getWritableLayer();
        Summary.FsStats image = fs.imageFs();
        return new Summary.FsStats(Times.rfc3339(w.getTimestamp()), image.availableBytes(), image.capacityBytes(),
                w.getUsedBytes().getValue(), image.inodesFree(), image.inodes(), w.getInodesUsed().getValue());
    }

    /** {@code <podLogsDir>/<ns>_<pod>_<uid>/<container>/}: a handful of rotated files, measured per request. */
    private Summary.FsStats logs(RuntimeView.PodView pod, String container, FsContext fs) {
        Path dir = podLogsDir.resolve(pod.namespace() + "_" + pod.name() + "_" + pod.uid()).resolve(container);
        if (!Files.isDirectory(dir)) {
            return null;
        }
        try {
            DiskUsage du = DiskUsage.of(dir);
            Summary.FsStats logFs = fs.logFs();
            return new Summary.FsStats(Times.rfc3339(clock.instant()), logFs.availableBytes(), logFs.capacityBytes(),
                    du.usedBytes(), logFs.inodesFree(), logFs.inodes(), du.inodesUsed());
        } catch (IOException e) {
            return null;
        }
    }

    /** The filesystems of one answer: the root dir's, the pod logs', the runtime's image filesystem. */
    private record FsContext(Summary.FsStats rootFs, Summary.FsStats logFs, Summary.FsStats imageFs) {}

    private FsContext fsContext() {
        Summary.FsStats root = statfs(rootDir, null, null);
        Summary.FsStats logs = statfs(podLogsDir, null, null);
        Summary.FsStats image = null;
        try {
            List<FilesystemUsage> list = source.imageFilesystems();
            if (!list.isEmpty()) {
                FilesystemUsage u = list.get(0);
                image = statfs(Path.of(u.getFsId().getMountpoint()), u.getUsedBytes().getValue(), u.getInodesUsed().getValue());
            }
        } catch (RuntimeException e) {
            log.debug("ImageFsInfo failed: {}", e.toString());
        }
        return new FsContext(root, logs, image == null ? root : image);
    }

    private Summary.FsStats statfs(Path path, Long used, Long inodesUsed) {
        String now = Times.rfc3339(clock.instant());
        try {
            Statfs s = Statfs.of(path);
            return new Summary.FsStats(now, s.availableBytes(), s.capacityBytes(), used != null ? used : s.usedBytes(),
                    s.inodesFree(), s.inodes(), inodesUsed != null ? inodesUsed : s.inodesUsed());
        } catch (IOException e) {
            return new Summary.FsStats(now, null, null, used, null, null, inodesUsed);
        }
    }

    /** The kubelet's own cgroup, with its CPU rate since the previous summary. */
    private synchronized Optional<ContainerSample> kubeletCgroup() {
        CgroupStatsReader reader = source.reader();
        Optional<String> path = reader.cgroupOfProcess("self");
        Optional<CgroupSample> sample = path.flatMap(reader::readCgroup);
        if (sample.isEmpty()) {
            return Optional.empty();
        }
        ContainerSample before = lastKubelet != null && lastKubelet.cgroupPath().equals(path.get()) ? lastKubelet : null;
        lastKubelet = new ContainerSample("kubelet", path.get(), sample.get(), CgroupStatsReader.nanoCores(before, sample.get()));
        return Optional.of(lastKubelet);
    }

    static Summary.CpuStats cpu(CgroupSample s, OptionalLong nanoCores) {
        return new Summary.CpuStats(Times.rfc3339(s.timestampNanos()), boxed(nanoCores), s.cpuUsageNanos());
    }

    /** availableBytes: limit − working set when limited ({@code capacity} stands in for the root's limit). */
    static Summary.MemoryStats memory(CgroupSample s, OptionalLong capacity) {
        Long available = null;
        if (s.memoryLimitBytes() != CgroupSample.UNLIMITED) {
            available = Math.max(0, s.memoryLimitBytes() - s.memoryWorkingSetBytes());
        } else if (capacity.isPresent()) {
            available = Math.max(0, capacity.getAsLong() - s.memoryWorkingSetBytes());
        }
        return new Summary.MemoryStats(Times.rfc3339(s.timestampNanos()), available, s.memoryUsageBytes(),
                s.memoryWorkingSetBytes(), s.memoryRssBytes(), s.pageFaults(), s.majorPageFaults());
    }

    /** Every interface listed, eth0 also inline as the default one (upstream's cadvisorInfoToNetworkStats). */
    static Summary.NetworkStats network(List<InterfaceUsage> interfaces, long timestampNanos) {
        List<Summary.InterfaceStats> all = new ArrayList<>();
        Summary.InterfaceStats eth0 = null;
        for (InterfaceUsage i : interfaces) {
            Summary.InterfaceStats s = new Summary.InterfaceStats(i.name(), i.rxBytes(), i.rxErrors(), i.txBytes(), i.txErrors());
            all.add(s);
            if (i.name().equals("eth0")) {
                eth0 = s;
            }
        }
        return new Summary.NetworkStats(Times.rfc3339(timestampNanos), eth0, all);
    }

    private static Long boxed(OptionalLong v) {
        return v.isPresent() ? v.getAsLong() : null;
    }

    private static long orZero(Long v) {
        return v == null ? 0 : v;
    }
}
