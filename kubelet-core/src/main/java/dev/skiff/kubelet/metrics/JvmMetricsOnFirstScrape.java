package dev.skiff.kubelet.metrics;

import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

/**
 * The JVM's and the process's metrics ({@code jvm_*}, {@code process_*}), set up when {@code /metrics} is first
 * scraped: setting them up loads JMX, the platform MBean server and JFR's metadata (about 400 classes and 2-3 MB of
 * metadata and heap) that a kubelet nobody scrapes never needs. Counters among them (GC, allocated bytes) count
 * from that first scrape, which Prometheus reads as a counter reset.
 */
final class JvmMetricsOnFirstScrape implements MultiCollector {
    private volatile PrometheusRegistry jvm;

    @Override
    public MetricSnapshots collect() {
        return registry().scrape();
    }

    private PrometheusRegistry registry() {
        PrometheusRegistry r = jvm;
        if (r == null) {
            synchronized (this) {
                r = jvm;
                if (r == null) {
                    r = new PrometheusRegistry();
                    JvmMetrics.builder().register(r);
                    jvm = r;
                }
            }
        }
        return r;
    }
}
