package dev.skiff.kubelet.stats;

import dev.skiff.cri.CriRuntime;
import dev.skiff.cri.stats.CgroupStatsReader;
import dev.skiff.kubelet.pleg.RuntimePod;
import io.fabric8.kubernetes.api.model.Pod;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Collection;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The kubelet's stats parts, for the HTTP server to expose: {@link #summary} answers {@code /stats/summary},
 * {@link #cadvisor} is {@code /metrics/cadvisor}, {@link #resource} {@code /metrics/resource}, and
 * {@link #volumeMetrics} adds {@code kubelet_volume_stats_*} to {@code /metrics}.
 */
public record KubeletStats(SummaryProvider summary, CadvisorCollector cadvisor, ResourceMetricsCollector resource,
                           VolumeStatsCollector volumeMetrics, VolumeStatsCache volumes) implements AutoCloseable {

    /**
     * @param pods     the kubelet's pods (their specs name the volumes)
     * @param relisted the runtime's pods as the PLEG's last relist saw them (uid → pod): the stats list no runtime
     */
    public static KubeletStats start(String nodeName, CriRuntime cri, Path rootDir, Path podLogsDir, long memoryCapacityBytes,
                                     Supplier<Collection<Pod>> pods, Supplier<Map<String, RuntimePod>> relisted) {
        CgroupStatsReader reader = new CgroupStatsReader(Path.of("/sys/fs/cgroup"));
        VolumeStatsCache volumes = new VolumeStatsCache(rootDir.resolve("pods"), pods, VolumeStatsCache.DEFAULT_PERIOD, Clock.systemUTC());
        PodStatsSource source = new PodStatsSource(PodListing.fromPleg(relisted), cri.runtime(), cri.images(), reader);
        SummaryProvider summary = new SummaryProvider(nodeName, source, volumes, rootDir, podLogsDir, memoryCapacityBytes,
                new HostInfo(Path.of("/proc")), Clock.systemUTC());
        return new KubeletStats(summary, new CadvisorCollector(summary), new ResourceMetricsCollector(summary),
                new VolumeStatsCollector(volumes), volumes);
    }

    @Override
    public void close() {
        volumes.close();
    }
}
