package dev.skiff.kubelet.metrics;

/** The histogram bucket bounds upstream's metrics use (component-base and pkg/kubelet/metrics). */
public final class Buckets {
    /** component-base's DefBuckets (Prometheus' default). */
    public static final double[] DEFAULT = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    /** kubelet_pod_start_duration_seconds (podStartupDurationBuckets). */
    public static final double[] POD_STARTUP = {0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120, 180, 240, 300, 360,
            480, 600, 900, 1200, 1800, 2700, 3600};
    /** kubelet_runtime_operations_duration_seconds: ExponentialBuckets(.005, 2.5, 14). */
    public static final double[] RUNTIME_OPERATIONS = exponential(0.005, 2.5, 14);
    /** storage_operation_duration_seconds (pkg/volume/util/metrics.go). */
    public static final double[] STORAGE_OPERATIONS = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 25, 50, 120, 300, 600};

    private Buckets() {
    }

    /** Go's prometheus.ExponentialBuckets: {@code count} bounds, the first {@code start}, each {@code factor} times the last. */
    static double[] exponential(double start, double factor, int count) {
        double[] out = new double[count];
        double b = start;
        for (int i = 0; i < count; i++) {
            out[i] = b;
            b *= factor;
        }
        return out;
    }
}
