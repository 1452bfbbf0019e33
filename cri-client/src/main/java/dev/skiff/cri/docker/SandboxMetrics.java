package dev.skiff.cri.docker;

import dev.skiff.cri.stats.CgroupSample;
import dev.skiff.cri.stats.ContainerSample;
import dev.skiff.cri.stats.InterfaceUsage;
import dev.skiff.cri.stats.StatsSnapshot;
import dev.skiff.cri.v1.ContainerMetrics;
import dev.skiff.cri.v1.Metric;
import dev.skiff.cri.v1.MetricDescriptor;
import dev.skiff.cri.v1.MetricType;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.PodSandboxMetrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * ListMetricDescriptors / ListPodSandboxMetrics as containerd 2.x answers them: cAdvisor's metric names, label
 * keys {@code id, name} (the container id and its CRI name) plus {@code interface} or {@code device}; network
 * metrics on the pod, the rest per container. Values are unsigned integers, so {@code _seconds} counters carry
 * whole seconds.
 */
final class SandboxMetrics {
    private static final List<String> BASE = List.of("id", "name");

    static final List<MetricDescriptor> DESCRIPTORS = List.of(
            d("container_cpu_usage_seconds_total", "Cumulative CPU time consumed in seconds."),
            d("container_cpu_user_seconds_total", "Cumulative user CPU time consumed in seconds."),
            d("container_cpu_system_seconds_total", "Cumulative system CPU time consumed in seconds."),
            d("container_memory_usage_bytes", "Current memory usage in bytes, including all memory regardless of when it was accessed"),
            d("container_memory_working_set_bytes", "Current working set in bytes."),
            d("container_memory_rss", "Size of RSS in bytes."),
            d("container_memory_cache", "Number of bytes of page cache memory."),
            d("container_fs_reads_bytes_total", "Cumulative count of bytes read", "device"),
            d("container_fs_writes_bytes_total", "Cumulative count of bytes written", "device"),
            d("container_network_receive_bytes_total", "Cumulative count of bytes received", "interface"),
            d("container_network_receive_errors_total", "Cumulative count of errors encountered while receiving", "interface"),
            d("container_network_receive_packets_total", "Cumulative count of packets received", "interface"),
            d("container_network_receive_packets_dropped_total", "Cumulative count of packets dropped while receiving", "interface"),
            d("container_network_transmit_bytes_total", "Cumulative count of bytes transmitted", "interface"),
            d("container_network_transmit_errors_total", "Cumulative count of errors encountered while transmitting", "interface"),
            d("container_network_transmit_packets_total", "Cumulative count of packets transmitted", "interface"),
            d("container_network_transmit_packets_dropped_total", "Cumulative count of packets dropped while transmitting", "interface"),
            d("container_processes", "Number of processes running inside the container."),
            d("container_last_seen", "Last time a container was seen by the exporter"),
            d("container_start_time_seconds", "Start time of the container since unix epoch in seconds."));

    private SandboxMetrics() {}

    private static MetricDescriptor d(String name, String help, String... extra) {
        List<String> keys = new ArrayList<>(BASE);
        keys.addAll(List.of(extra));
        return MetricDescriptor.newBuilder().setName(name).setHelp(help).addAllLabelKeys(keys).build();
    }

    static PodSandboxMetrics of(PodSandbox pod, List<DockerStats.Member> members, StatsSnapshot snap) {
        PodSandboxMetrics.Builder b = PodSandboxMetrics.newBuilder().setPodSandboxId(pod.getId());
        long ts = snap.timestampNanos();
        Optional<ContainerSample> infra = snap.container(pod.getId());
        if (infra.isPresent()) {
            List<String> base = List.of(pod.getId(), pod.getMetadata().getName());
            for (InterfaceUsage i : snap.network(infra.get())) {
                List<String> l = with(base, i.name());
                b.addMetrics(counter("container_network_receive_bytes_total", ts, l, i.rxBytes()));
                b.addMetrics(counter("container_network_receive_errors_total", ts, l, i.rxErrors()));
                b.addMetrics(counter("container_network_receive_packets_total", ts, l, i.rxPackets()));
                b.addMetrics(counter("container_network_receive_packets_dropped_total", ts, l, i.rxDropped()));
                b.addMetrics(counter("container_network_transmit_bytes_total", ts, l, i.txBytes()));
                b.addMetrics(counter("container_network_transmit_errors_total", ts, l, i.txErrors()));
                b.addMetrics(counter("container_network_transmit_packets_total", ts, l, i.txPackets()));
                b.addMetrics(counter("container_network_transmit_packets_dropped_total", ts, l, i.txDropped()));
            }
        }
        for (DockerStats.Member m : members) {
            Optional<ContainerSample> s = snap.container(m.id());
            if (s.isEmpty()) {
                continue; // not running: no cgroup to read
            }
            b.addContainerMetrics(container(m, s.get().sample(), ts));
        }
        return b.build();
    }

    private static ContainerMetrics container(DockerStats.Member m, CgroupSample s, long ts) {
        List<String> l = List.of(m.id(), m.metadata().getName());
        ContainerMetrics.Builder c = ContainerMetrics.newBuilder().setContainerId(m.id())
                .addMetrics(counter("container_cpu_usage_seconds_total", ts, l, s.cpuUsageNanos() / 1_000_000_000L))
                .addMetrics(counter("container_cpu_user_seconds_total", ts, l, s.cpuUserNanos() / 1_000_000_000L))
                .addMetrics(counter("container_cpu_system_seconds_total", ts, l, s.cpuSystemNanos() / 1_000_000_000L))
                .addMetrics(gauge("container_memory_usage_bytes", ts, l, s.memoryUsageBytes()))
                .addMetrics(gauge("container_memory_working_set_bytes", ts, l, s.memoryWorkingSetBytes()))
                .addMetrics(gauge("container_memory_rss", ts, l, s.memoryRssBytes()))
                .addMetrics(gauge("container_memory_cache", ts, l, s.memoryCacheBytes()))
                .addMetrics(gauge("container_processes", ts, l, s.processes()))
                .addMetrics(gauge("container_last_seen", ts, l, ts / 1_000_000_000L))
                .addMetrics(gauge("container_start_time_seconds", ts, l, m.createdSeconds()));
        for (CgroupSample.BlockIo io : s.blockIo()) {
            c.addMetrics(counter("container_fs_reads_bytes_total", ts, with(l, io.device()), io.readBytes()));
            c.addMetrics(counter("container_fs_writes_bytes_total", ts, with(l, io.device()), io.writeBytes()));
        }
        return c.build();
    }

    private static List<String> with(List<String> base, String extra) {
        List<String> out = new ArrayList<>(base);
        out.add(extra);
        return out;
    }

    private static Metric counter(String name, long ts, List<String> labels, long value) {
        return metric(name, ts, labels, value, MetricType.COUNTER);
    }

    private static Metric gauge(String name, long ts, List<String> labels, long value) {
        return metric(name, ts, labels, value, MetricType.GAUGE);
    }

    private static Metric metric(String name, long ts, List<String> labels, long value, MetricType type) {
        return Metric.newBuilder().setName(name).setTimestamp(ts).setMetricType(type).addAllLabelValues(labels)
                .setValue(DockerStats.u64(value)).build();
    }
}
