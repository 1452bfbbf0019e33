package dev.skiff.kubelet.metrics;

import io.prometheus.metrics.config.ExporterProperties;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes a registry as a scrape asked for it, HTTP-free: OpenMetrics when the Accept header offers
 * {@code application/openmetrics-text}, else the Prometheus text format 0.0.4 (what upstream's kubelet serves by
 * default, and the answer to no Accept header at all). The protobuf format is not offered. Sample timestamps are
 * milliseconds in the text format (its spec: an int64 Go's ParseInt reads; the library's default, seconds with a
 * decimal point, is refused by Prometheus' text parser) and seconds in OpenMetrics (its spec).
 */
public final class MetricsExposition {
    private static final ExpositionFormats FORMATS =
            ExpositionFormats.init(ExporterProperties.builder().prometheusTimestampsInMs(true).build());

    private MetricsExposition() {
    }

    /** The format chosen for this Accept header (null or empty: text 0.0.4). */
    public static Format negotiate(String accept) {
        String a = accept == null ? "" : accept;
        ExpositionFormatWriter w = FORMATS.findWriter(a);
        if (!w.isAvailable()) {
            // preferred protobuf, which is not shipped: the scraper's next choice among the text formats
            ExpositionFormatWriter openMetrics = FORMATS.getOpenMetricsTextFormatWriter();
            w = openMetrics.accepts(a) ? openMetrics : FORMATS.getPrometheusTextFormatWriter();
        }
        return new Format(w);
    }

    /** Writes {@code registry} (collected now) in the format {@code accept} asks for; returns the content type. */
    public static String write(PrometheusRegistry registry, String accept, OutputStream out) throws IOException {
        Format f = negotiate(accept);
        f.write(registry, out);
        return f.contentType();
    }

    /** A chosen format: its content type (for the response header, before the body) and its writer. */
    public static final class Format {
        private final ExpositionFormatWriter writer;

        private Format(ExpositionFormatWriter writer) {
            this.writer = writer;
        }

        /** e.g. {@code text/plain; version=0.0.4; charset=utf-8}. */
        public String contentType() {
            return writer.getContentType();
        }

        /** OpenMetrics 1.0 (else the Prometheus text format 0.0.4). */
        public boolean openMetrics() {
            return writer instanceof OpenMetricsTextFormatWriter;
        }

        /** Collects {@code registry} now and writes it; the stream is left open. */
        public void write(PrometheusRegistry registry, OutputStream out) throws IOException {
            writer.write(out, registry.scrape());
        }
    }
}
