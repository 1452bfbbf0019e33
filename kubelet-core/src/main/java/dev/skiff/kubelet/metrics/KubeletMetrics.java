package dev.skiff.kubelet.metrics;

import dev.skiff.cri.CriRuntime;
import dev.skiff.kubelet.pleg.RuntimePod;
import dev.skiff.volume.VolumeOperationListener;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The kubelet's own metrics ({@code /metrics}) with upstream's names, help texts, labels and buckets
 * (pkg/kubelet/metrics, pkg/volume/util/metrics.go). The parts record into it as they work; what describes the
 * present (running pods and containers, JVM and process) is computed when scraped. No thread of its own.
 */
public final class KubeletMetrics {
    /** container_type values. */
    public static final String CONTAINER = "container";
    public static final String INIT_CONTAINER = "init_container";

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final RuntimeOperations runtimeOperations = new RuntimeOperations(registry);
    private final Histogram podStartDuration = Histogram.builder().withoutExemplars().name("kubelet_pod_start_duration_seconds")
            .help("Duration in seconds from kubelet seeing a pod for the first time to the pod starting to run")
            .classicOnly().classicUpperBounds(Buckets.POD_STARTUP).register(registry);
    private final Histogram podWorkerDuration = Histogram.builder().withoutExemplars().name("kubelet_pod_worker_duration_seconds")
            .help("Duration in seconds to sync a single pod. Broken down by operation type: create, update, or sync")
            .labelNames("operation_type").classicOnly().classicUpperBounds(Buckets.DEFAULT).register(registry);
    private final Histogram plegRelistDuration = Histogram.builder().withoutExemplars().name("kubelet_pleg_relist_duration_seconds")
            .help("Duration in seconds for relisting pods in PLEG.")
            .classicOnly().classicUpperBounds(Buckets.DEFAULT).register(registry);
    private final Histogram plegRelistInterval = Histogram.builder().withoutExemplars().name("kubelet_pleg_relist_interval_seconds")
            .help("Interval in seconds between relisting in PLEG.")
            .classicOnly().classicUpperBounds(Buckets.DEFAULT).register(registry);
    private final Counter startedPods = Counter.builder().withoutExemplars().name("kubelet_started_pods_total")
            .help("Cumulative number of pods started").register(registry);
    private final Counter startedPodsErrors = Counter.builder().withoutExemplars().name("kubelet_started_pods_errors_total")
            .help("Cumulative number of errors when starting pods").register(registry);
    private final Counter startedContainers = Counter.builder().withoutExemplars().name("kubelet_started_containers_total")
            .help("Cumulative number of containers started").labelNames("container_type").register(registry);
    private final Counter startedContainersErrors = Counter.builder().withoutExemplars().name("kubelet_started_containers_errors_total")
            .help("Cumulative number of errors when starting containers").labelNames("container_type", "code")
            .register(registry);
    private final Histogram storageOperationDuration = Histogram.builder().withoutExemplars().name("storage_operation_duration_seconds")
            .help("Storage operation duration")
            .labelNames("volume_plugin", "operation_name", "status", "migrated")
            .classicOnly().classicUpperBounds(Buckets.STORAGE_OPERATIONS).register(registry);

    /**
     * The metrics the kubelet's parts record, in a registry of their own (a part built without the kubelet's metrics
     * records into one nobody serves); see {@link #create} for the whole of {@code /metrics}.
     */
    public KubeletMetrics() {
    }

    /**
     * Everything {@code /metrics} shows: the kubelet's metrics, running pods and containers counted from
     * {@code runtimePods} (the PLEG's latest relist) when scraped, and the JVM's and the process's metrics.
     */
    public static KubeletMetrics create(String nodeName, Supplier<Map<String, RuntimePod>> runtimePods) {
        KubeletMetrics m = new KubeletMetrics();
        Gauge.builder().name("kubelet_node_name").help("The node's name. The count is always 1.")
                .labelNames("node").register(m.registry).labelValues(nodeName).set(1);
        RunningPods.register(m.registry, runtimePods);
        // process_cpu_seconds_total, process_resident_memory_bytes, process_open_fds …, jvm_memory_used_bytes …:
        // all read when scraped, and set up by the first scrape
        m.registry.register(new JvmMetricsOnFirstScrape());
        return m;
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    /** {@code runtime} with every CRI call counted and timed (upstream's instrumented services). */
    public CriRuntime instrument(CriRuntime runtime) {
        return new InstrumentedCriRuntime(runtime, runtimeOperations);
    }

    public RuntimeOperations runtimeOperations() {
        return runtimeOperations;
    }

    /** One PLEG relist, successful or not, took this long. */
    public void plegRelisted(long nanos) {
        plegRelistDuration.observe(seconds(nanos));
    }

    /** The time since the start of the previous successful relist, at the start of a relist. */
    public void plegRelistInterval(long nanos) {
        plegRelistInterval.observe(seconds(nanos));
    }

    /** One unit of a pod worker ended; {@code operationType} is upstream's: create, update, sync, kill, terminated. */
    public void podWorkerDone(String operationType, long nanos) {
        podWorkerDuration.labelValues(operationType).observe(seconds(nanos));
    }

    /** A pod went from Pending (or nothing) to Running this long after the kubelet first saw it. */
    public void podStarted(Duration sinceFirstSeen) {
        podStartDuration.observe(seconds(sinceFirstSeen.toNanos()));
    }

    /** A sandbox is about to be created (upstream counts the attempt). */
    public void startingPod() {
        startedPods.inc();
    }

    public void podStartFailed() {
        startedPodsErrors.inc();
    }

    /** A container start is attempted (past its back-off); {@code init} for init containers, sidecars included. */
    public void startingContainer(boolean init) {
        startedContainers.labelValues(containerType(init)).inc();
    }

    /** The start failed with upstream's reason as code, e.g. ErrImagePull, CreateContainerError, RunContainerError. */
    public void containerStartFailed(boolean init, String code) {
        startedContainersErrors.labelValues(containerType(init), code).inc();
    }

    /** storage_operation_duration_seconds from the volume manager's mounts and unmounts. */
    public VolumeOperationListener volumeOperations() {
        return (plugin, operation, succeeded, nanos) -> storageOperationDuration
                .labelValues(plugin, operation, succeeded ? "success" : "fail-unknown", "false").observe(seconds(nanos));
    }

    private static String containerType(boolean init) {
        return init ? INIT_CONTAINER : CONTAINER;
    }

    static double seconds(long nanos) {
        return nanos / 1e9;
    }
}
