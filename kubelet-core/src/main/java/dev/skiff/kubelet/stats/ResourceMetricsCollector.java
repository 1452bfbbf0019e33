package dev.skiff.kubelet.stats;

import dev.skiff.kubelet.metrics.ExpositionBuffer;
import dev.skiff.kubelet.metrics.MetricsExposition;
import dev.skiff.kubelet.metrics.TextScrape;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;

/**
 * {@code /metrics/resource}, what metrics-server scrapes: upstream's resource metrics collector over the
 * Summary's CPU and memory (only_cpu_and_memory), the same names, labels, help and per-sample timestamps;
 * {@code scrape_error} 1 when the stats could not be read.
 */
public final class ResourceMetricsCollector implements TextScrape {
    private static final Logger log = LoggerFactory.getLogger(ResourceMetricsCollector.class);
    private final SummaryProvider summaries;

    public ResourceMetricsCollector(SummaryProvider summaries) {
        this.summaries = summaries;
    }

    @Override
    public void write(MetricsExposition.Format format, ExpositionBuffer out) {
        collect().write(out, format.openMetrics());
    }

    MetricFamilies collect() {
        MetricFamilies m = new MetricFamilies();
        m.declareCounter("node_cpu_usage_seconds_total", "Cumulative cpu time consumed by the node in core-seconds");
        m.declareGauge("node_memory_working_set_bytes", "Current working set of the node in bytes");
        m.declareCounter("container_cpu_usage_seconds_total", "Cumulative cpu time consumed by the container in core-seconds");
        m.declareGauge("container_memory_working_set_bytes", "Current working set of the container in bytes");
        m.declareGauge("container_start_time_seconds", "Start time of the container since unix epoch in seconds");
        m.declareCounter("pod_cpu_usage_seconds_total", "Cumulative cpu time consumed by the pod in core-seconds");
        m.declareGauge("pod_memory_working_set_bytes", "Current working set of the pod in bytes");
        m.declareGauge("scrape_error", "1 if there was an error while getting container metrics, 0 otherwise");
        Summary summary;
        try {
            summary = summaries.summary(true);
        } catch (RuntimeException e) {
            log.warn("resource metrics: cannot read the stats: {}", e.toString());
            m.add("scrape_error", LabelSet.EMPTY, 1, 0);
            return m;
        }
        m.add("scrape_error", LabelSet.EMPTY, 0, 0);
        Summary.NodeStats node = summary.node();
        cpu(m, "node_cpu_usage_seconds_total", LabelSet.EMPTY, node.cpu());
        memory(m, "node_memory_working_set_bytes", LabelSet.EMPTY, node.memory());
        for (Summary.PodStats pod : summary.pods()) {
            LabelSet podLabels = LabelSet.of("namespace", pod.podRef().namespace(), "pod", pod.podRef().name());
            for (Summary.ContainerStats c : pod.containers()) {
                LabelSet labels = LabelSet.of("container", c.name(), "namespace", pod.podRef().namespace(), "pod", pod.podRef().name());
                cpu(m, "container_cpu_usage_seconds_total", labels, c.cpu());
                memory(m, "container_memory_working_set_bytes", labels, c.memory());
                if (c.startTime() != null) {
                    long start = Instant.parse(c.startTime()).toEpochMilli();
                    m.add("container_start_time_seconds", labels, start / 1000.0, start);
                }
            }
            cpu(m, "pod_cpu_usage_seconds_total", podLabels, pod.cpu());
            memory(m, "pod_memory_working_set_bytes", podLabels, pod.memory());
        }
        return m;
    }

    private static void cpu(MetricFamilies m, String name, LabelSet labels, Summary.CpuStats cpu) {
        if (cpu != null && cpu.usageCoreNanoSeconds() != null) {
            m.add(name, labels, cpu.usageCoreNanoSeconds() / 1e9, Instant.parse(cpu.time()).toEpochMilli());
        }
    }

    private static void memory(MetricFamilies m, String name, LabelSet labels, Summary.MemoryStats memory) {
        if (memory != null && memory.workingSetBytes() != null) {
            m.add(name, labels, memory.workingSetBytes(), Instant.parse(memory.time()).toEpochMilli());
        }
    }
}
