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
import java.util.Iterator;
import java.util.Set;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The node's container stats straight from the cgroup filesystem (v1 or v2) and /proc, the way cAdvisor gets
 * them, never from {@code docker stats}: one pass over the containers asked for (the kubelet's pods', not every
 * container on a busy host), kept for a short window ({@link #DEFAULT_MAX_AGE}) so that any number of callers
 * within it (the CRI stats calls, the Summary API, both metrics endpoints) cost one read. Containers are found by
 * the id in their cgroup's name, whatever runtime made them (Docker, containerd, CRI-O), as cAdvisor's factories
 * find them; the hierarchy is walked again only when a container asked for is not known yet. Each known cgroup's files stay open between passes ({@link OpenCgroupFiles}), and are closed when the
 * cgroup is gone or has not been asked for within {@link #FORGET_AFTER}. Thread-safe.
 */
public final class CgroupStatsReader {
    private static final Logger log = LoggerFactory.getLogger(CgroupStatsReader.class);
    public static final Duration DEFAULT_MAX_AGE = Duration.ofSeconds(1);
    /** A known cgroup not asked for this long has its files closed (its container is gone, or nobody asks). */
    static final Duration FORGET_AFTER = Duration.ofSeconds(60);

    /** A known container cgroup: its open files, its last sample (for the CPU rate), when it was last asked for. */
    private static final class Known {
        final String id;
        final OpenCgroupFiles files;
        ContainerSample last;
        long askedAtNanos;

        Known(String id, OpenCgroupFiles files) {
            this.id = id;
            this.files = files;
        }
    }

    private final CgroupLayout layout;
    private final CgroupReader reader;
    private final Path procRoot;
    private final Clock clock;
    private final long maxAgeNanos;
    private final Map<String, Known> known = new HashMap<>();
    /** Cgroups read by path (the root, the kubelet's own): their open files too. */
    private final Map<String, OpenCgroupFiles> byPath = new HashMap<>();
    private StatsSnapshot current;
    /** The ids {@link #current} was taken for (found or not); null: every container cgroup. */
    private Set<String> currentAsked;
    private long currentTakenAt;
    private ContainerSample lastNode;

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

    /** A snapshot of every container cgroup of the node, no older than the window. */
    public synchronized StatsSnapshot snapshot() {
        long now = System.nanoTime();
        if (current != null && currentAsked == null && now - currentTakenAt < maxAgeNanos) {
            return current;
        }
        walk(now);
        return take(Set.copyOf(known.keySet()), null, now);
    }

    /**
     * A snapshot holding (at least) the containers {@code ids} whose cgroups exist, no older than the window: the
     * cached one when it was taken for them, else a pass over just these. Ids with no cgroup are left out.
     */
    public synchronized StatsSnapshot snapshot(Set<String> ids) {
        long now = System.nanoTime();
        if (current != null && now - currentTakenAt < maxAgeNanos
                && (currentAsked == null || currentAsked.containsAll(ids))) {
            return current;
        }
        if (!known.keySet().containsAll(ids)) {
            walk(now);
        }
        return take(ids, Set.copyOf(ids), now);
    }

    /** One cgroup read now, uncached (the kubelet's own cgroup); empty when it does not exist. */
    public synchronized Optional<CgroupSample> readCgroup(String path) {
        OpenCgroupFiles files = byPath.computeIfAbsent(path, p -> new OpenCgroupFiles(layout, p));
        Optional<CgroupSample> sample;
        try {
            sample = reader.read(files);
        } catch (RuntimeException e) {
            log.debug("cannot read cgroup {}: {}", path, e.toString());
            sample = Optional.empty();
        }
        if (sample.isEmpty()) {
            byPath.remove(path).close();
        }
        return sample;
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

    /** Walks the hierarchy: new container cgroups become known, known ones no longer there are forgotten. */
    private void walk(long now) {
        Map<String, String> paths;
        try {
            paths = ContainerCgroupIndex.scan(layout);
        } catch (IOException | RuntimeException e) {
            log.warn("cannot walk the cgroup hierarchy: {}", e.toString());
            return;
        }
        for (Iterator<Known> it = known.values().iterator(); it.hasNext(); ) {
            Known k = it.next();
            if (!k.files.path().equals(paths.get(k.id))) {
                k.files.close();
                it.remove();
            }
        }
        paths.forEach((id, path) -> known.computeIfAbsent(id, i -> {
            Known k = new Known(i, new OpenCgroupFiles(layout, path));
            k.askedAtNanos = now;
            return k;
        }));
    }

    private StatsSnapshot take(Set<String> ids, Set<String> asked, long now) {
        Map<String, ContainerSample> containers = new HashMap<>();
        for (String id : ids) {
            Known k = known.get(id);
            if (k == null) {
                continue;
            }
            k.askedAtNanos = now;
            Optional<CgroupSample> sample = reader.read(k.files);
            if (sample.isEmpty()) {
                k.files.close(); // the cgroup is gone
                known.remove(id);
                continue;
            }
            k.last = new ContainerSample(id, k.files.path(), sample.get(), nanoCores(k.last, sample.get()));
            containers.put(id, k.last);
        }
        forgetUnasked(now);
        CgroupSample root = readCgroup("/").orElseGet(this::emptySample);
        lastNode = new ContainerSample("", "/", root, nanoCores(lastNode, root));
        current = new StatsSnapshot(root.timestampNanos(), lastNode, containers, layout, procRoot);
        currentAsked = asked;
        currentTakenAt = System.nanoTime();
        return current;
    }

    private void forgetUnasked(long now) {
        long forget = FORGET_AFTER.toNanos();
        for (Iterator<Known> it = known.values().iterator(); it.hasNext(); ) {
            Known k = it.next();
            if (now - k.askedAtNanos > forget) {
                k.files.close();
                it.remove(); // known again at the next walk that finds it, with its rate from then on
            }
        }
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
