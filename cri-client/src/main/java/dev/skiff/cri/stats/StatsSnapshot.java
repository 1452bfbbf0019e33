package dev.skiff.cri.stats;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every container cgroup of the node read in one pass, plus the root cgroup (the node). Immutable but for the
 * network counters, read on first use per container (only sandboxes' are ever asked for) and then kept.
 */
public final class StatsSnapshot {
    private final long timestampNanos;
    private final ContainerSample node;
    private final Map<String, ContainerSample> containers;
    private final CgroupLayout layout;
    private final Path procRoot;
    private final Map<String, List<InterfaceUsage>> networks = new ConcurrentHashMap<>();

    StatsSnapshot(long timestampNanos, ContainerSample node, Map<String, ContainerSample> containers,
                  CgroupLayout layout, Path procRoot) {
        this.timestampNanos = timestampNanos;
        this.node = node;
        this.containers = Map.copyOf(containers);
        this.layout = layout;
        this.procRoot = procRoot;
    }

    public long timestampNanos() {
        return timestampNanos;
    }

    /** The root cgroup: the whole machine, as cAdvisor's "/" container. */
    public ContainerSample node() {
        return node;
    }

    /** A container by its full id. */
    public Optional<ContainerSample> container(String id) {
        return Optional.ofNullable(containers.get(id));
    }

    public Collection<ContainerSample> containers() {
        return containers.values();
    }

    /**
     * The interfaces of the network namespace the container's first process lives in (for a sandbox: the pod's),
     * from {@code /proc/<pid>/net/dev}; empty when it has no process left.
     */
    public List<InterfaceUsage> network(ContainerSample container) {
        return networks.computeIfAbsent(container.id(), id -> readNetwork(container.cgroupPath()));
    }

    /** The host's interfaces (the network namespace this process runs in). */
    public List<InterfaceUsage> hostNetwork() {
        return networks.computeIfAbsent("/", id -> read(procRoot.resolve("self/net/dev")));
    }

    private List<InterfaceUsage> readNetwork(String cgroupPath) {
        try {
            Optional<Path> dir = layout.indexRoot().map(r -> r.resolve(CgroupLayout.relative(cgroupPath)));
            if (dir.isEmpty()) {
                return List.of();
            }
            Optional<String> pid = CgroupFiles.readOrEmpty(dir.get().resolve("cgroup.procs")).lines()
                    .map(String::trim).filter(l -> l.matches("\\d+")).findFirst();
            return pid.map(p -> read(procRoot.resolve(p).resolve("net/dev"))).orElse(List.of());
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    private static List<InterfaceUsage> read(Path netDev) {
        try {
            return InterfaceUsage.parseNetDev(CgroupFiles.readOrEmpty(netDev));
        } catch (IOException e) {
            return List.of(); // the process ended meanwhile
        }
    }
}
