package dev.skiff.kubelet.stats;

import dev.skiff.cri.stats.DiskUsage;
import dev.skiff.cri.stats.Statfs;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Per-pod volume stats, upstream's fs_resource_analyzer: measured in the background (thread {@code volume-stats})
 * every {@code period} (upstream's volumeStatsAggPeriod, 1 minute) and read from this cache by the Summary API and
 * the kubelet_volume_stats_* gauges. A pod asked for before its first measurement is measured at once, in the
 * background. As upstream's volume plugins: emptyDir, configMap, secret, downwardAPI and projected volumes are
 * measured with du (used bytes and inodes) plus statfs (capacity, available, inodes); a claim's volume with
 * statfs alone; hostPath and others not at all.
 */
public final class VolumeStatsCache implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(VolumeStatsCache.class);
    public static final Duration DEFAULT_PERIOD = Duration.ofMinutes(1);

    private final Path podsDir;
    private final Supplier<Collection<Pod>> pods;
    private final Clock clock;
    private final Map<String, List<Summary.VolumeStats>> byPod = new ConcurrentHashMap<>();
    private final Set<String> pending = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService thread;

    /** {@code podsDir} is {@code <root-dir>/pods}; {@code pods} the kubelet's pods (their specs name the volumes). */
    public VolumeStatsCache(Path podsDir, Supplier<Collection<Pod>> pods, Duration period, Clock clock) {
        this.podsDir = podsDir;
        this.pods = pods;
        this.clock = clock;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "volume-stats");
            t.setDaemon(true);
            return t;
        });
        thread.scheduleWithFixedDelay(this::measureAll, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The last measurement of a pod's volumes (empty until the first one is done). */
    public List<Summary.VolumeStats> forPod(String uid) {
        List<Summary.VolumeStats> known = byPod.get(uid);
        if (known == null && pending.add(uid)) {
            thread.execute(() -> {
                try {
                    Optional<Pod> pod = find(uid);
                    if (pod.isPresent()) {
                        measure(pod.get());
                    } else {
                        byPod.putIfAbsent(uid, List.of()); // a runtime pod the kubelet has no spec for: no volumes it knows
                    }
                } finally {
                    pending.remove(uid);
                }
            });
        }
        return known == null ? List.of() : known;
    }

    /** Every measured volume that belongs to a claim, with its pod's namespace (for kubelet_volume_stats_*). */
    public List<Summary.VolumeStats> claimVolumes() {
        List<Summary.VolumeStats> out = new ArrayList<>();
        byPod.values().forEach(list -> list.stream().filter(v -> v.pvcRef() != null).forEach(out::add));
        return out;
    }

    private Optional<Pod> find(String uid) {
        return pods.get().stream().filter(p -> uid.equals(p.getMetadata().getUid())).findFirst();
    }

    private void measureAll() {
        Set<String> current = new HashSet<>();
        for (Pod pod : pods.get()) {
            current.add(pod.getMetadata().getUid());
            measure(pod);
        }
        byPod.keySet().retainAll(current);
    }

    private void measure(Pod pod) {
        String uid = pod.getMetadata().getUid();
        List<Summary.VolumeStats> out = new ArrayList<>();
        List<Volume> volumes = pod.getSpec() == null || pod.getSpec().getVolumes() == null ? List.of() : pod.getSpec().getVolumes();
        for (Volume v : volumes) {
            try {
                measure(pod, v).ifPresent(out::add);
            } catch (IOException | RuntimeException e) {
                log.debug("pod {}/{} ({}): cannot measure volume {}: {}", pod.getMetadata().getNamespace(),
                        pod.getMetadata().getName(), uid, v.getName(), e.toString());
            }
        }
        byPod.put(uid, List.copyOf(out));
    }

    private Optional<Summary.VolumeStats> measure(Pod pod, Volume v) throws IOException {
        boolean byDu = v.getEmptyDir() != null || v.getConfigMap() != null || v.getSecret() != null
                || v.getDownwardAPI() != null || v.getProjected() != null;
        boolean claim = v.getPersistentVolumeClaim() != null;
        if (!byDu && !claim) {
            return Optional.empty();
        }
        Optional<Path> dir = volumeDir(pod.getMetadata().getUid(), v.getName());
        if (dir.isEmpty()) {
            return Optional.empty(); // not set up (yet)
        }
        Statfs fs = Statfs.of(dir.get());
        long used = fs.usedBytes(), inodesUsed = fs.inodesUsed();
        if (byDu) {
            DiskUsage du = DiskUsage.of(dir.get());
            used = du.usedBytes();
            inodesUsed = du.inodesUsed();
        }
        Summary.FsStats stats = new Summary.FsStats(Times.rfc3339(clock.instant()), fs.availableBytes(), fs.capacityBytes(),
                used, fs.inodesFree(), fs.inodes(), inodesUsed);
        Summary.PvcReference pvc = claim
                ? new Summary.PvcReference(v.getPersistentVolumeClaim().getClaimName(), pod.getMetadata().getNamespace())
                : null;
        return Optional.of(new Summary.VolumeStats(stats, v.getName(), pvc));
    }

    /** {@code pods/<uid>/volumes/<plugin>/<name>}, whichever plugin directory holds it. */
    private Optional<Path> volumeDir(String uid, String name) throws IOException {
        Path volumes = podsDir.resolve(uid).resolve("volumes");
        if (!Files.isDirectory(volumes)) {
            return Optional.empty();
        }
        try (DirectoryStream<Path> plugins = Files.newDirectoryStream(volumes)) {
            for (Path plugin : plugins) {
                Path dir = plugin.resolve(name);
                if (Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    return Optional.of(dir);
                }
            }
        }
        return Optional.empty();
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
