package dev.skiff.kubelet.metrics;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsExpositionTest {
    private static final String TEXT = "text/plain; version=0.0.4; charset=utf-8";
    /** What Prometheus 2.x sends by default (no native histograms). */
    private static final String PROMETHEUS_ACCEPT = "application/openmetrics-text;version=1.0.0;q=0.5,"
            + "application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

    private final KubeletMetrics metrics = new KubeletMetrics();

    MetricsExpositionTest() {
        metrics.startingPod();
    }

    private record Written(String contentType, String body) {
    }

    private Written write(String accept) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String type = MetricsExposition.write(metrics.registry(), accept, out);
        return new Written(type, out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void noAcceptHeaderIsTheTextFormat() throws Exception {
        for (String accept : new String[]{null, "", "*/*", "text/plain"}) {
            Written w = write(accept);
            assertEquals(TEXT, w.contentType(), "Accept: " + accept);
            assertTrue(w.body().contains("# TYPE kubelet_started_pods_total counter\n"), w.body());
            assertFalse(w.body().contains("# EOF"), w.body());
        }
    }

    @Test
    void openMetricsWhenAskedFor() throws Exception {
        for (String accept : new String[]{"application/openmetrics-text; version=1.0.0; charset=utf-8",
                PROMETHEUS_ACCEPT}) {
            Written w = write(accept);
            assertTrue(w.contentType().startsWith("application/openmetrics-text; version=1.0.0"), w.contentType());
            // OpenMetrics names a counter's family without _total and ends with # EOF
            assertTrue(w.body().contains("# TYPE kubelet_started_pods counter\n"), w.body());
            assertTrue(w.body().contains("\nkubelet_started_pods_total 1.0\n"), w.body());
            assertTrue(w.body().endsWith("# EOF\n"), w.body());
        }
    }

    @Test
    void theContentTypeIsKnownBeforeTheBody() {
        assertEquals(TEXT, MetricsExposition.negotiate("text/plain;version=0.0.4").contentType());
        assertTrue(MetricsExposition.negotiate(PROMETHEUS_ACCEPT).contentType().startsWith("application/openmetrics-text"));
    }

    /** The protobuf format is not shipped: a scraper that prefers it gets its next choice. */
    @Test
    void aProtobufPreferenceFallsBackToText() throws Exception {
        Written w = write("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;"
                + "q=0.6,application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3");
        assertTrue(w.contentType().startsWith("application/openmetrics-text"), w.contentType());
        assertTrue(w.body().contains("kubelet_started_pods_total 1.0"), w.body());
    }
}
