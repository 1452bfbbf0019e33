package dev.skiff.kubelet.stats;

import dev.skiff.kubelet.metrics.ExpositionBuffer;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/** The stats' own exposition text is what the client library writes for the same samples, in both formats. */
class MetricFamiliesTest {
    private static final long T1 = 1_796_672_171_009L, T2 = 1_796_672_171_400L;

    /** Two families out of name order, escapes in label values and HELP, with and without timestamps, one empty. */
    private static MetricFamilies ours() {
        MetricFamilies m = new MetricFamilies();
        m.declareGauge("container_memory_rss", "Size of RSS in bytes.");
        m.declareCounter("container_cpu_usage_seconds_total", "Cumulative \"cpu\" time\\ consumed.\nIn seconds.");
        m.declareGauge("container_fs_usage_bytes", "Never filled here.");
        m.declareGauge("scrape_error", "1 if there was an error");
        LabelSet pod = LabelSet.of("pod", "web-0", "namespace", "shop", "container", "app");
        // in the order the library sorts samples by their labels (ours keeps the order they were added in)
        m.add("container_cpu_usage_seconds_total", pod.with("cpu", "total"), 2.4429035521E9, T2);
        m.add("container_cpu_usage_seconds_total", LabelSet.of("pod", "q\"b\\c\nd", "container", "x").with("cpu", "total"), 1.5, T1);
        m.add("container_memory_rss", pod.with("interface", "eth0"), 0.001, T2);
        m.add("container_memory_rss", pod, 4096, T1);
        m.add("scrape_error", LabelSet.EMPTY, 0, 0);
        m.add("scrape_error", LabelSet.of("pod", "ünïcode"), Double.POSITIVE_INFINITY, 0);
        return m;
    }

    /** The same samples as the client library's snapshots (which orders each family's samples by labels). */
    private static MetricSnapshots theLibrarys() {
        Labels pod = Labels.of("pod", "web-0", "namespace", "shop", "container", "app");
        return MetricSnapshots.builder()
                .metricSnapshot(GaugeSnapshot.builder().name("container_memory_rss").help("Size of RSS in bytes.")
                        .dataPoint(gauge(pod, 4096, T1)).dataPoint(gauge(pod.add("interface", "eth0"), 0.001, T2)).build())
                .metricSnapshot(CounterSnapshot.builder().name("container_cpu_usage_seconds")
                        .help("Cumulative \"cpu\" time\\ consumed.\nIn seconds.")
                        .dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                                .labels(Labels.of("pod", "q\"b\\c\nd", "container", "x", "cpu", "total")).value(1.5)
                                .scrapeTimestampMillis(T1).build())
                        .dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().labels(pod.add("cpu", "total"))
                                .value(2.4429035521E9).scrapeTimestampMillis(T2).build()).build())
                .metricSnapshot(GaugeSnapshot.builder().name("container_fs_usage_bytes").help("Never filled here.").build())
                .metricSnapshot(GaugeSnapshot.builder().name("scrape_error").help("1 if there was an error")
                        .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(0).build())
                        .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(Labels.of("pod", "ünïcode"))
                                .value(Double.POSITIVE_INFINITY).build()).build())
                .build();
    }

    private static GaugeSnapshot.GaugeDataPointSnapshot gauge(Labels labels, double value, long ts) {
        return GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels).value(value).scrapeTimestampMillis(ts).build();
    }

    private static String library(ExpositionFormatWriter writer) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writer.write(out, theLibrarys());
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String ours(boolean openMetrics) {
        ExpositionBuffer out = new ExpositionBuffer(16);
        ours().write(out, openMetrics);
        return new String(out.toByteArray(), StandardCharsets.UTF_8);
    }

    @Test
    void theTextFormatIsTheLibrarysWithMillisecondTimestamps() throws Exception {
        String expected = library(PrometheusTextFormatWriter.builder().setTimestampsInMs(true).build());
        assertEquals(expected, ours(false));
        assertTrue(expected.contains("} 1.5 1796672171009\n"), expected);
    }

    @Test
    void openMetricsIsTheLibrarys() throws Exception {
        String expected = library(OpenMetricsTextFormatWriter.create());
        assertEquals(expected, ours(true));
        assertTrue(expected.contains("# TYPE container_cpu_usage_seconds counter\n") && expected.endsWith("# EOF\n"), expected);
    }

    @Test
    void aLabelIsSetOnce() {
        LabelSet l = LabelSet.of("pod", "a");
        assertThrows(IllegalArgumentException.class, () -> l.with("pod", "b"));
        assertThrows(IllegalArgumentException.class, () -> new MetricFamilies().declareCounter("no_suffix", "h"));
        assertEquals("{a=\"1\",pod=\"a\"}", l.with("a", "1").toString());
    }

    @Test
    void theBufferWritesNumbersAndUtf8() {
        ExpositionBuffer b = new ExpositionBuffer(1);
        b.append(0L).append(' ').append(-42L).append(' ').append(Long.MIN_VALUE).append(' ').append("é€")
                .append(' ').appendValue(Double.NEGATIVE_INFINITY).append(' ').appendValue(Double.NaN);
        assertEquals("0 -42 -9223372036854775808 é€ -Inf NaN", new String(b.toByteArray(), StandardCharsets.UTF_8));
    }
}
