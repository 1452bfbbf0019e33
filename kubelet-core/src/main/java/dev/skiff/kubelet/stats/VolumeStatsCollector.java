package dev.skiff.kubelet.stats;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code kubelet_volume_stats_*} for {@code /metrics}: upstream's volume stats collector over the cached volume
 * measurements, one series per claim ({namespace, persistentvolumeclaim}), first pod's figures for a shared one.
 * A handful of series: built as the client library's snapshots, for the {@code /metrics} registry.
 */
public final class VolumeStatsCollector implements MultiCollector {
    private final VolumeStatsCache volumes;

    public VolumeStatsCollector(VolumeStatsCache volumes) {
        this.volumes = volumes;
    }

    private static final Map<String, String> HELP = new LinkedHashMap<>();
    private static final Map<String, Function<Summary.FsStats, Long>> VALUE = new LinkedHashMap<>();

    static {
        gauge("kubelet_volume_stats_capacity_bytes", "[ALPHA] Capacity in bytes of the volume", Summary.FsStats::capacityBytes);
        gauge("kubelet_volume_stats_available_bytes", "[ALPHA] Number of available bytes in the volume", Summary.FsStats::availableBytes);
        gauge("kubelet_volume_stats_used_bytes", "[ALPHA] Number of used bytes in the volume", Summary.FsStats::usedBytes);
        gauge("kubelet_volume_stats_inodes", "[ALPHA] Maximum number of inodes in the volume", Summary.FsStats::inodes);
        gauge("kubelet_volume_stats_inodes_free", "[ALPHA] Number of free inodes in the volume", Summary.FsStats::inodesFree);
        gauge("kubelet_volume_stats_inodes_used", "[ALPHA] Number of used inodes in the volume", Summary.FsStats::inodesUsed);
    }

    private static void gauge(String name, String help, Function<Summary.FsStats, Long> value) {
        HELP.put(name, help);
        VALUE.put(name, value);
    }

    @Override
    public MetricSnapshots collect() {
        Map<String, GaugeSnapshot.Builder> families = new LinkedHashMap<>();
        HELP.forEach((name, help) -> families.put(name, GaugeSnapshot.builder().name(name).help(help)));
        Set<String> seen = new HashSet<>();
        for (Summary.VolumeStats v : volumes.claimVolumes()) {
            if (!seen.add(v.pvcRef().namespace() + "/" + v.pvcRef().name())) {
                continue;
            }
            Labels labels = Labels.of("namespace", v.pvcRef().namespace(), "persistentvolumeclaim", v.pvcRef().name());
            VALUE.forEach((name, value) -> {
                Long x = value.apply(v.fs());
                if (x != null) {
                    families.get(name).dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels).value(x).build());
                }
            });
        }
        MetricSnapshots.Builder out = MetricSnapshots.builder();
        families.values().forEach(b -> out.metricSnapshot(b.build()));
        return out.build();
    }
}
