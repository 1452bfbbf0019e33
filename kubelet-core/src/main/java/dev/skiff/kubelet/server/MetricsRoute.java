package dev.skiff.kubelet.server;

import dev.skiff.kubelet.metrics.ExpositionBuffer;
import dev.skiff.kubelet.metrics.MetricsExposition;
import dev.skiff.kubelet.metrics.TextScrape;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.ByteArrayOutputStream;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A Prometheus scrape endpoint ({@code /metrics}, {@code /metrics/probes}, {@code /metrics/cadvisor}, …): the metrics
 * collected at request time, in the text format the Accept header asks for, sent with a Content-Length.
 */
public final class MetricsRoute {
    private MetricsRoute() {
    }

    /** A default route (both ports, as upstream) at {@code path} serving {@code registry}. */
    public static Route of(String path, Supplier<PrometheusRegistry> registry) {
        return Route.get(path, Route.Kind.DEFAULT, (req, res) -> {
            MetricsExposition.Format format = MetricsExposition.negotiate(req.header("Accept").orElse(null));
            ByteArrayOutputStream body = new ByteArrayOutputStream(16 * 1024);
            format.write(registry.get(), body);
            res.send(200, format.contentType(), body.toByteArray());
        });
    }

    /**
     * A default route at {@code path} serving metrics that write their own text (the large stats scrapes); while
     * {@code scrape} is empty (the stats start after the container runtime answered) an empty scrape.
     */
    public static Route ofText(String path, Supplier<Optional<? extends TextScrape>> scrape) {
        return Route.get(path, Route.Kind.DEFAULT, (req, res) -> {
            MetricsExposition.Format format = MetricsExposition.negotiate(req.header("Accept").orElse(null));
            ExpositionBuffer body = new ExpositionBuffer(64 * 1024);
            Optional<? extends TextScrape> s = scrape.get();
            if (s.isPresent()) {
                s.get().write(format, body);
            } else if (format.openMetrics()) {
                body.append("# EOF\n");
            }
            res.send(200, format.contentType(), body.toByteArray());
        });
    }
}
