package dev.skiff.kubelet.metrics;

/**
 * Metrics that write their own exposition text: a scrape of thousands of samples ({@code /metrics/cadvisor} has a
 * dozen per container) rendered straight into the answer's buffer, with none of the client library's snapshot,
 * label and data point objects per sample. Collected at the call.
 */
public interface TextScrape {
    /** Collects now and writes every family that has samples in {@code format}, OpenMetrics' {@code # EOF} included. */
    void write(MetricsExposition.Format format, ExpositionBuffer out);
}
