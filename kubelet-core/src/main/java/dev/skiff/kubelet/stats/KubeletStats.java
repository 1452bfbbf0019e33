package dev.skiff.kubelet.stats;

import dev.skiff.cri.CriRuntime;
import dev.skiff.cri.stats.CgroupStatsReader;
import io.fabric8.kubernetes.api.model.Pod;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Collection;
import java.util.function.Supplier;

/**
 * The kubelet's stats parts, for the HTTP server to expose: {@link #summary} answers {@code /stats/summary},
 * {@link #cadvisor} is {@code /metrics/cadvisor}, {@link #resource} {@code /metrics/resource}, and
 * {@link #volumeMetrics} adds {@code kubelet_volume_stats_*} to {@code /metrics}.
 */
public record KubeletStats(SummaryProvider summary, CadvisorCollector cadvisor, ResourceMetricsCollector resource,
                           VolumeStatsCollector volumeMetrics, VolumeStatsCache volumes) implements AutoCloseable {

    public static KubeletStats start(String nodeName, CriRuntime cri, Path rootDir, Path podLogsDir, long memoryCapacityBytes,
                                     Supplier<Collection<Pod>> pods) {
        CgroupStatsReader reader = new CgroupStatsReader(Path.of("/sys/fs/cgroup"));
        VolumeStatsCache volumes = new VolumeStatsCache(rootDir.resolve("pods"), pods, VolumeStatsCache.DEFAULT_PERIOD, Clock.systemUTC());
        SummaryProvider summary = new SummaryProvider(nodeName, cri.runtime(), cri.images(), reader, volumes, rootDir,
                podLogsDir, memoryCapacityBytes);
        return new KubeletStats(summary, new CadvisorCollector(summary), new ResourceMetricsCollector(summary),
                new VolumeStatsCollector(volumes), volumes);
    }

    @Override
    public void close() {
        volumes.close();
    }
}
