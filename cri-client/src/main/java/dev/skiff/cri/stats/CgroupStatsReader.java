package dev.skiff.cri.stats;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The node's container stats straight from the cgroup filesystem (v1 or v2) and /proc, the way cAdvisor gets
 * them, never from {@code docker stats}: one pass over every container cgroup, kept for a short window
 * ({@link #DEFAULT_MAX_AGE}) so that any number of callers within it (the CRI stats calls, the Summary API,
 * both metrics endpoints) cost one read. Containers are found by the id in their cgroup's name, whatever
 * runtime made them (Docker, containerd, CRI-O), as cAdvisor's factories find them. Thread-safe.
 */
public final class CgroupStatsReader {
    private static final Logger log = LoggerFactory.getLogger(CgroupStatsReader.class);
    public static final Duration DEFAULT_MAX_AGE = Duration.ofSeconds(1);

    private final CgroupLayout layout;
    private final CgroupReader reader;
    private final Path procRoot;
    private final Clock clock;
    private final long maxAgeNanos;
    private StatsSnapshot current;
    private long currentTakenAt;

    public CgroupStatsReader(Path cgroupRoot) {
        this(cgroupRoot, Path.of("/proc"), Clock.systemUTC(), DEFAULT_MAX_AGE);
    }

    /** Tests pass fake cgroup and /proc trees and a clock. */
    public CgroupStatsReader(Path cgroupRoot, Path procRoot, Clock clock, Duration maxAge) {
        this.layout = CgroupLayout.detect(cgroupRoot);
        this.procRoot = procRoot;
        this.clock = clock;
        this.reader = new CgroupReader(layout, procRoot, clock);
        this.maxAgeNanos = maxAge.toNanos();
    }

    /** A snapshot no older than the window: the cached one, or a new pass over every container cgroup. */
    public synchronized StatsSnapshot snapshot() {
        long now = System.nanoTime();
        if (current != null && now - currentTakenAt < maxAgeNanos) {
            return current;
        }
        current = take(current);
        currentTakenAt = System.nanoTime();
        return current;
    }

    /** One cgroup read now, uncached (the kubelet's own cgroup); empty when it does not exist. */
    public Optional<CgroupSample> readCgroup(String path) {
        try {
            return reader.read(path);
        } catch (IOException | RuntimeException e) {
            log.debug("cannot read cgroup {}: {}", path, e.toString());
            return Optional.empty();
        }
    }

    /** The cgroup path of a host process ({@code self} for this one), from {@code /proc/<pid>/cgroup}. */
    public Optional<String> cgroupOfProcess(String pid) {
        String controller = layout.membershipController();
        try {
            for (String line : Files.readAllLines(procRoot.resolve(pid).resolve("cgroup"), StandardCharsets.UTF_8)) {
                String[] parts = line.split(":", 3);
                if (parts.length != 3) {
                    continue;
                }
                boolean match = controller.isEmpty()
                        ? parts[0].equals("0") && parts[1].isEmpty()
                        : java.util.Arrays.asList(parts[1].split(",")).contains(controller);
                if (match) {
                    return Optional.of(parts[2]);
                }
            }
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            log.debug("cannot read the cgroup of process {}: {}", pid, e.toString());
        }
        return Optional.empty();
    }

    private StatsSnapshot take(StatsSnapshot previous) {
        Map<String, String> paths;
        try {
            paths = ContainerCgroupIndex.scan(layout);
        } catch (IOException | RuntimeException e) {
            log.warn("cannot walk the cgroup hierarchy: {}", e.toString());
            paths = Map.of();
        }
        Map<String, ContainerSample> containers = new HashMap<>();
        for (Map.Entry<String, String> e : paths.entrySet()) {
            Optional<CgroupSample> sample = readCgroup(e.getValue());
            if (sample.isPresent()) {
                ContainerSample before = previous == null ? null : previous.container(e.getKey()).orElse(null);
                containers.put(e.getKey(), new ContainerSample(e.getKey(), e.getValue(), sample.get(),
                        nanoCores(before, sample.get())));
            }
        }
        CgroupSample root = readCgroup("/").orElseGet(this::emptySample);
        ContainerSample node = new ContainerSample("", "/", root, nanoCores(previous == null ? null : previous.node(), root));
        return new StatsSnapshot(root.timestampNanos(), node, containers, layout, procRoot);
    }

    /** Average cores used between two samples of one cgroup, in nanocores (upstream's usageNanoCores). */
    public static OptionalLong nanoCores(ContainerSample before, CgroupSample now) {
        if (before == null) {
            return OptionalLong.empty();
        }
        long dt = now.timestampNanos() - before.sample().timestampNanos();
        long dcpu = now.cpuUsageNanos() - before.sample().cpuUsageNanos();
        if (dt <= 0 || dcpu < 0) {
            return before.cpuNanoCores(); // a restarted cgroup or a clock step: keep the last rate
        }
        return OptionalLong.of((long) (dcpu * 1e9 / dt));
    }

    private CgroupSample emptySample() {
        java.time.Instant now = clock.instant();
        return new CgroupSample(now.getEpochSecond() * 1_000_000_000L + now.getNano(), 0, 0, 0, 0, 0, 0, 0,
                CgroupSample.UNLIMITED, 0, 0, 0, java.util.List.of());
    }
}
