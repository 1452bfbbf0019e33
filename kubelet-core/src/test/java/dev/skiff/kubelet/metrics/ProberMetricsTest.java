package dev.skiff.kubelet.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProberMetricsTest {
    private final ProberMetrics metrics = new ProberMetrics();

    @Test
    void resultsAreCountedWithUpstreamsLabelsAndRemovedWithTheWorker() {
        ProberMetrics.Series web = metrics.series("Readiness", "ns1", "web", "uid-1", "app");
        ProberMetrics.Series other = metrics.series("Liveness", "ns1", "db", "uid-2", "db");
        web.succeeded(3_000_000);
        web.succeeded(3_000_000);
        web.failed();
        other.failed();
        String t = MetricsText.of(metrics.registry());
        assertTrue(t.contains("# HELP prober_probe_total Cumulative number of a liveness, readiness or startup probe "
                + "for a container by result.\n"), t);
        assertTrue(t.contains("prober_probe_total{container=\"app\",namespace=\"ns1\",pod=\"web\",pod_uid=\"uid-1\","
                + "probe_type=\"Readiness\",result=\"successful\"} 2.0\n"), t);
        assertTrue(t.contains("prober_probe_total{container=\"app\",namespace=\"ns1\",pod=\"web\",pod_uid=\"uid-1\","
                + "probe_type=\"Readiness\",result=\"failed\"} 1.0\n"), t);
        assertTrue(t.contains("# HELP prober_probe_duration_seconds Duration in seconds for a probe response.\n"), t);
        // upstream times successful probes only, without the pod uid
        assertTrue(t.contains("prober_probe_duration_seconds_count{container=\"app\",namespace=\"ns1\",pod=\"web\","
                + "probe_type=\"Readiness\"} 2\n"), t);
        assertTrue(t.contains("prober_probe_duration_seconds_bucket{container=\"app\",namespace=\"ns1\",pod=\"web\","
                + "probe_type=\"Readiness\",le=\"0.005\"} 2\n"), t);
        assertFalse(t.contains("pod=\"db\",probe_type=\"Liveness\"} "), "no duration for a failure\n" + t);

        web.remove();
        t = MetricsText.of(metrics.registry());
        assertFalse(t.contains("pod=\"web\""), t);
        assertTrue(t.contains("prober_probe_total{container=\"db\",namespace=\"ns1\",pod=\"db\",pod_uid=\"uid-2\","
                + "probe_type=\"Liveness\",result=\"failed\"} 1.0\n"), "the other pod's series stay\n" + t);
    }

    /** A static pod edited in place: a new uid, the same name; the old worker stops after the new one has probed. */
    @Test
    void aNewPodOfTheSameNameKeepsItsDurationsWhenTheOldWorkerStops() {
        ProberMetrics.Series old = metrics.series("Readiness", "ns1", "web", "uid-1", "app");
        ProberMetrics.Series now = metrics.series("Readiness", "ns1", "web", "uid-2", "app");
        old.succeeded(1);
        now.succeeded(1);
        old.remove();
        now.succeeded(1);
        String t = MetricsText.of(metrics.registry());
        assertTrue(t.contains("prober_probe_duration_seconds_count{container=\"app\",namespace=\"ns1\",pod=\"web\","
                + "probe_type=\"Readiness\"} 1\n"), t);
        assertTrue(t.contains("pod_uid=\"uid-2\",probe_type=\"Readiness\",result=\"successful\"} 2.0\n"), t);
        assertFalse(t.contains("uid-1"), t);
    }
}
