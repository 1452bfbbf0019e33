package dev.skiff.kubelet.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * {@code /metrics/probes}: prober_probe_total{probe_type, result, container, pod, namespace, pod_uid} and
 * prober_probe_duration_seconds{probe_type, container, pod, namespace}, as upstream's prober_manager.go defines them.
 * Each probe worker holds one {@link Series}; its series are removed when the worker stops, so a pod that goes
 * leaves nothing behind.
 */
public final class ProberMetrics {
    /** result values (upstream's probeResultSuccessful, probeResultFailed, probeResultUnknown). */
    public static final String SUCCESSFUL = "successful";
    public static final String FAILED = "failed";
    public static final String UNKNOWN = "unknown";

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter results = Counter.builder().withoutExemplars().name("prober_probe_total")
            .help("Cumulative number of a liveness, readiness or startup probe for a container by result.")
            .labelNames("probe_type", "result", "container", "pod", "namespace", "pod_uid").register(registry);
    private final Histogram durations = Histogram.builder().withoutExemplars().name("prober_probe_duration_seconds")
            .help("Duration in seconds for a probe response.")
            .labelNames("probe_type", "container", "pod", "namespace")
            .classicOnly().classicUpperBounds(Buckets.DEFAULT).register(registry);

    public PrometheusRegistry registry() {
        return registry;
    }

    /** The series of one probe worker; nothing shows until it records a result. */
    public Series series(String probeType, String namespace, String pod, String podUid, String container) {
        return new Series(probeType, namespace, pod, podUid, container);
    }

    /** One probe worker's series. Not thread-safe against {@link #remove}: the worker serialises its calls. */
    public final class Series {
        private final String probeType;
        private final String namespace;
        private final String pod;
        private final String podUid;
        private final String container;
        private CounterDataPoint successful;
        private CounterDataPoint failed;

        private Series(String probeType, String namespace, String pod, String podUid, String container) {
            this.probeType = probeType;
            this.namespace = namespace;
            this.pod = pod;
            this.podUid = podUid;
            this.container = container;
        }

        /** A probe passed after {@code nanos}: counted, and its duration observed (upstream times successes only). */
        public void succeeded(long nanos) {
            if (successful == null) {
                successful = results.labelValues(probeType, SUCCESSFUL, container, pod, namespace, podUid);
            }
            successful.inc();
            // looked up each time: the series has no pod uid, so the worker of an earlier pod of the same name may
            // have removed it as it stopped (upstream's worker deletes it the same way)
            durations.labelValues(probeType, container, pod, namespace).observe(KubeletMetrics.seconds(nanos));
        }

        public void failed() {
            if (failed == null) {
                failed = results.labelValues(probeType, FAILED, container, pod, namespace, podUid);
            }
            failed.inc();
        }

        /** The worker stopped: its series go (upstream's worker deletes them as it exits). */
        public void remove() {
            for (String result : new String[]{SUCCESSFUL, FAILED, UNKNOWN}) {
                results.remove(probeType, result, container, pod, namespace, podUid);
            }
            durations.remove(probeType, container, pod, namespace);
            successful = null;
            failed = null;
        }
    }
}
