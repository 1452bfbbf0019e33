package dev.skiff.kubelet.metrics;

import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/** A registry as the Prometheus text format 0.0.4 shows it, and its lines, for assertions. */
final class MetricsText {
    private MetricsText() {
    }

    static String of(PrometheusRegistry registry) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            MetricsExposition.write(registry, null, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    static List<String> lines(PrometheusRegistry registry) {
        return Arrays.asList(of(registry).split("\n"));
    }
}
