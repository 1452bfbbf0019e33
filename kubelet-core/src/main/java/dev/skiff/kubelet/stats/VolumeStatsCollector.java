package dev.skiff.kubelet.stats;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.util.HashSet;
import java.util.Set;

/**
 * {@code kubelet_volume_stats_*} for {@code /metrics}: upstream's volume stats collector over the cached volume
 * measurements, one series per claim ({namespace, persistentvolumeclaim}), first pod's figures for a shared one.
 */
public final class VolumeStatsCollector implements MultiCollector {
    private final VolumeStatsCache volumes;

    public VolumeStatsCollector(VolumeStatsCache volumes) {
        this.volumes = volumes;
    }

    @Override
    public MetricSnapshots collect() {
        MetricFamilies m = new MetricFamilies();
        m.declareGauge("kubelet_volume_stats_capacity_bytes", "[ALPHA] Capacity in bytes of the volume");
        m.declareGauge("kubelet_volume_stats_available_bytes", "[ALPHA] Number of available bytes in the volume");
        m.declareGauge("kubelet_volume_stats_used_bytes", "[ALPHA] Number of used bytes in the volume");
        m.declareGauge("kubelet_volume_stats_inodes", "[ALPHA] Maximum number of inodes in the volume");
        m.declareGauge("kubelet_volume_stats_inodes_free", "[ALPHA] Number of free inodes in the volume");
        m.declareGauge("kubelet_volume_stats_inodes_used", "[ALPHA] Number of used inodes in the volume");
        Set<String> seen = new HashSet<>();
        for (Summary.VolumeStats v : volumes.claimVolumes()) {
            if (!seen.add(v.pvcRef().namespace() + "/" + v.pvcRef().name())) {
                continue;
            }
            Labels labels = Labels.of("namespace", v.pvcRef().namespace(), "persistentvolumeclaim", v.pvcRef().name());
            Summary.FsStats fs = v.fs();
            add(m, "kubelet_volume_stats_capacity_bytes", labels, fs.capacityBytes());
            add(m, "kubelet_volume_stats_available_bytes", labels, fs.availableBytes());
            add(m, "kubelet_volume_stats_used_bytes", labels, fs.usedBytes());
            add(m, "kubelet_volume_stats_inodes", labels, fs.inodes());
            add(m, "kubelet_volume_stats_inodes_free", labels, fs.inodesFree());
            add(m, "kubelet_volume_stats_inodes_used", labels, fs.inodesUsed());
        }
        return m.build();
    }

    private static void add(MetricFamilies m, String name, Labels labels, Long value) {
        if (value != null) {
            m.add(name, labels, value, 0);
        }
    }
}
