package dev.skiff.kubelet.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.function.Supplier;

/**
 * kubelet_runtime_operations_total, kubelet_runtime_operations_duration_seconds and
 * kubelet_runtime_operations_errors_total by {@code operation_type} (the CRI method in upstream's snake case, e.g.
 * {@code list_podsandbox}), as upstream's instrumented_services.go records them.
 */
public final class RuntimeOperations {
    private final Counter operations;
    private final Histogram durations;
    private final Counter errors;

    RuntimeOperations(PrometheusRegistry registry) {
        operations = Counter.builder().withoutExemplars().name("kubelet_runtime_operations_total")
                .help("Cumulative number of runtime operations by operation type.")
                .labelNames("operation_type").register(registry);
        durations = Histogram.builder().withoutExemplars().name("kubelet_runtime_operations_duration_seconds")
                .help("Duration in seconds of runtime operations. Broken down by operation type.")
                .labelNames("operation_type").classicOnly().classicUpperBounds(Buckets.RUNTIME_OPERATIONS)
                .register(registry);
        errors = Counter.builder().withoutExemplars().name("kubelet_runtime_operations_errors_total")
                .help("Cumulative number of runtime operation errors by operation type.")
                .labelNames("operation_type").register(registry);
    }

    /** Runs one call of {@code operation}, counting and timing it, and a failure (a thrown exception) apart. */
    public <T> T call(String operation, Supplier<T> call) {
        long start = System.nanoTime();
        boolean failed = true;
        try {
            T out = call.get();
            failed = false;
            return out;
        } finally {
            record(operation, start, failed);
        }
    }

    /** One call of {@code operation} that started at {@code startNanos} (System.nanoTime) and failed or not. */
    private void record(String operation, long startNanos, boolean failed) {
        operations.labelValues(operation).inc();
        durations.labelValues(operation).observe((System.nanoTime() - startNanos) / 1e9);
        if (failed) {
            errors.labelValues(operation).inc();
        }
    }
}
