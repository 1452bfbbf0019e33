package dev.skiff.kubelet.stats;

import dev.skiff.cri.stats.CgroupSample;
import dev.skiff.cri.stats.ContainerSample;
import dev.skiff.cri.stats.InterfaceUsage;
import dev.skiff.cri.v1.ContainerStats;
import dev.skiff.kubelet.metrics.ExpositionBuffer;
import dev.skiff.kubelet.metrics.MetricsExposition;
import dev.skiff.kubelet.metrics.TextScrape;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Map;

/**
 * {@code /metrics/cadvisor}: the container metrics the kubelet's built-in cAdvisor exposes, from the same cgroup
 * snapshot as the Summary, with cAdvisor's names, help, labels ({@code container, pod, namespace} from the
 * Kubernetes labels, {@code id} the cgroup path, {@code image}, {@code name} the runtime's container name) and the
 * sample's timestamp. The sandbox is {@code container="POD"} under Docker (dockershim's naming) and carries the
 * pod's network; the root cgroup is {@code id="/"} with empty pod labels.
 */
public final class CadvisorCollector implements TextScrape {
    private static final Logger log = LoggerFactory.getLogger(CadvisorCollector.class);

    private final PodStatsSource source;
    private final DeviceNames devices;

    public CadvisorCollector(SummaryProvider summaries) {
        this(summaries.source(), new DeviceNames());
    }

    CadvisorCollector(PodStatsSource source, DeviceNames devices) {
        this.source = source;
        this.devices = devices;
    }

    @Override
    public void write(MetricsExposition.Format format, ExpositionBuffer out) {
        collect().write(out, format.openMetrics());
    }

    MetricFamilies collect() {
        MetricFamilies m = families();
        RuntimeView view;
        Map<String, ContainerStats> layers;
        boolean docker;
        try {
            view = source.read();
            layers = source.runtimeContainerStats();
            docker = "docker".equals(source.runtimeName());
        } catch (RuntimeException e) {
            log.warn("cadvisor metrics: cannot read the stats: {}", e.toString());
            return m;
        }
        long seen = view.snapshot().timestampNanos() / 1_000_000L;
        ContainerSample root = view.snapshot().node();
        LabelSet rootLabels = LabelSet.of("container", "", "id", "/", "image", "", "name", "", "namespace", "", "pod", "");
        cpuAndMemory(m, rootLabels, root.sample());
        m.add("container_last_seen", rootLabels, seen / 1000.0, seen);
        for (RuntimeView.PodView pod : view.pods()) {
            if (pod.infra().isPresent()) {
                ContainerSample infra = pod.infra().get();
                String name = docker ? dockerName("POD", pod, pod.sandbox().getMetadata().getAttempt()) : pod.sandbox().getId();
                LabelSet labels = LabelSet.of("container", docker ? "POD" : "", "id", infra.cgroupPath(), "image", "",
                        "name", name, "namespace", pod.namespace(), "pod", pod.name());
                container(m, labels, infra.sample(), pod.sandbox().getCreatedAt(), seen);
                long ts = infra.sample().timestampNanos() / 1_000_000L;
                for (InterfaceUsage i : view.snapshot().network(infra)) {
                    LabelSet l = labels.with("interface", i.name());
                    m.add("container_network_receive_bytes_total", l, i.rxBytes(), ts);
                    m.add("container_network_receive_errors_total", l, i.rxErrors(), ts);
                    m.add("container_network_receive_packets_total", l, i.rxPackets(), ts);
                    m.add("container_network_receive_packets_dropped_total", l, i.rxDropped(), ts);
                    m.add("container_network_transmit_bytes_total", l, i.txBytes(), ts);
                    m.add("container_network_transmit_errors_total", l, i.txErrors(), ts);
                    m.add("container_network_transmit_packets_total", l, i.txPackets(), ts);
                    m.add("container_network_transmit_packets_dropped_total", l, i.txDropped(), ts);
                }
            }
            for (RuntimeView.ContainerView c : pod.containers()) {
                if (c.sample().isEmpty()) {
                    continue;
                }
                ContainerSample s = c.sample().get();
                String name = docker ? dockerName(c.name(), pod, c.container().getMetadata().getAttempt()) : c.container().getId();
                LabelSet labels = LabelSet.of("container", c.name(), "id", s.cgroupPath(), "image", c.container().getImage().getImage(),
                        "name", name, "namespace", pod.namespace(), "pod", pod.name());
                container(m, labels, s.sample(), c.container().getCreatedAt(), seen);
                ContainerStats runtimeStats = layers.get(c.container().getId());
                if (runtimeStats != null && runtimeStats.hasWritableLayer()) {
                    var w = runtimeStats.getWritableLayer();
                    m.add("container_fs_usage_bytes",
                            labels.with("device", devices.ofPath(Path.of(w.getFsId().getMountpoint()))),
                            w.getUsedBytes().getValue(), w.getTimestamp() / 1_000_000L);
                }
            }
        }
        return m;
    }

    private void container(MetricFamilies m, LabelSet labels, CgroupSample s, long createdNanos, long seenMillis) {
        cpuAndMemory(m, labels, s);
        long ts = s.timestampNanos() / 1_000_000L;
        for (CgroupSample.BlockIo io : s.blockIo()) {
            LabelSet l = labels.with("device", devices.ofNumber(io.device()));
            m.add("container_fs_reads_bytes_total", l, io.readBytes(), ts);
            m.add("container_fs_writes_bytes_total", l, io.writeBytes(), ts);
        }
        m.add("container_processes", labels, s.processes(), ts);
        m.add("container_start_time_seconds", labels, createdNanos / 1e9, ts);
        m.add("container_last_seen", labels, seenMillis / 1000.0, seenMillis);
    }

    private static void cpuAndMemory(MetricFamilies m, LabelSet labels, CgroupSample s) {
        long ts = s.timestampNanos() / 1_000_000L;
        m.add("container_cpu_usage_seconds_total", labels.with("cpu", "total"), s.cpuUsageNanos() / 1e9, ts);
        m.add("container_cpu_user_seconds_total", labels, s.cpuUserNanos() / 1e9, ts);
        m.add("container_cpu_system_seconds_total", labels, s.cpuSystemNanos() / 1e9, ts);
        m.add("container_memory_usage_bytes", labels, s.memoryUsageBytes(), ts);
        m.add("container_memory_working_set_bytes", labels, s.memoryWorkingSetBytes(), ts);
        m.add("container_memory_rss", labels, s.memoryRssBytes(), ts);
        m.add("container_memory_cache", labels, s.memoryCacheBytes(), ts);
        m.add("container_spec_memory_limit_bytes", labels,
                s.memoryLimitBytes() == CgroupSample.UNLIMITED ? 0 : s.memoryLimitBytes(), ts);
    }

    /** dockershim's (and cri-dockerd's) Docker container name: k8s_<container>_<pod>_<namespace>_<uid>_<attempt>. */
    private static String dockerName(String container, RuntimeView.PodView pod, int attempt) {
        return "k8s_" + container + "_" + pod.name() + "_" + pod.namespace() + "_" + pod.uid() + "_" + attempt;
    }

    private static MetricFamilies families() {
        MetricFamilies m = new MetricFamilies();
        m.declareCounter("container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.");
        m.declareCounter("container_cpu_user_seconds_total", "Cumulative user cpu time consumed in seconds.");
        m.declareCounter("container_cpu_system_seconds_total", "Cumulative system cpu time consumed in seconds.");
        m.declareGauge("container_memory_usage_bytes", "Current memory usage in bytes, including all memory regardless of when it was accessed");
        m.declareGauge("container_memory_working_set_bytes", "Current working set in bytes.");
        m.declareGauge("container_memory_rss", "Size of RSS in bytes.");
        m.declareGauge("container_memory_cache", "Number of bytes of page cache memory.");
        m.declareGauge("container_spec_memory_limit_bytes", "Memory limit for the container.");
        m.declareCounter("container_network_receive_bytes_total", "Cumulative count of bytes received");
        m.declareCounter("container_network_receive_errors_total", "Cumulative count of errors encountered while receiving");
        m.declareCounter("container_network_receive_packets_total", "Cumulative count of packets received");
        m.declareCounter("container_network_receive_packets_dropped_total", "Cumulative count of packets dropped while receiving");
        m.declareCounter("container_network_transmit_bytes_total", "Cumulative count of bytes transmitted");
        m.declareCounter("container_network_transmit_errors_total", "Cumulative count of errors encountered while transmitting");
        m.declareCounter("container_network_transmit_packets_total", "Cumulative count of packets transmitted");
        m.declareCounter("container_network_transmit_packets_dropped_total", "Cumulative count of packets dropped while transmitting");
        m.declareGauge("container_fs_usage_bytes", "Number of bytes that are consumed by the container on this filesystem.");
        m.declareCounter("container_fs_reads_bytes_total", "Cumulative count of bytes read");
        m.declareCounter("container_fs_writes_bytes_total", "Cumulative count of bytes written");
        m.declareGauge("container_processes", "Number of processes running inside the container.");
        m.declareGauge("container_start_time_seconds", "Start time of the container since unix epoch in seconds.");
        m.declareGauge("container_last_seen", "Last time a container was seen by the exporter");
        return m;
    }
}
