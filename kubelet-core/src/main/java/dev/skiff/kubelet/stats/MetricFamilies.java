package dev.skiff.kubelet.stats;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects samples by family for one scrape and builds the snapshots. Counters are named with their
 * {@code _total} suffix here; the client library wants the name without it and writes it back on exposition.
 * A timestamp of 0 means none (the scraper's time), as for upstream's samples without one.
 */
final class MetricFamilies {
    private record Family(String help, boolean counter, List<Object> points) {}

    private final Map<String, Family> families = new LinkedHashMap<>();

    void declareGauge(String name, String help) {
        families.putIfAbsent(name, new Family(help, false, new ArrayList<>()));
    }

    void declareCounter(String nameWithTotal, String help) {
        families.putIfAbsent(nameWithTotal, new Family(help, true, new ArrayList<>()));
    }

    void add(String name, Labels labels, double value, long timestampMillis) {
        Family f = families.get(name);
        if (f == null) {
            throw new IllegalArgumentException("undeclared metric " + name);
        }
        if (f.counter()) {
            var b = CounterSnapshot.CounterDataPointSnapshot.builder().labels(labels).value(value);
            if (timestampMillis > 0) {
                b.scrapeTimestampMillis(timestampMillis);
            }
            f.points().add(b.build());
        } else {
            var b = GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels).value(value);
            if (timestampMillis > 0) {
                b.scrapeTimestampMillis(timestampMillis);
            }
            f.points().add(b.build());
        }
    }

    /** Every declared family, also those without samples (their HELP and TYPE lines, as upstream writes them). */
    MetricSnapshots build() {
        MetricSnapshots.Builder out = MetricSnapshots.builder();
        families.forEach((name, f) -> {
            MetricSnapshot snapshot;
            if (f.counter()) {
                CounterSnapshot.Builder b = CounterSnapshot.builder()
                        .name(name.substring(0, name.length() - "_total".length())).help(f.help());
                f.points().forEach(p -> b.dataPoint((CounterSnapshot.CounterDataPointSnapshot) p));
                snapshot = b.build();
            } else {
                GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(f.help());
                f.points().forEach(p -> b.dataPoint((GaugeSnapshot.GaugeDataPointSnapshot) p));
                snapshot = b.build();
            }
            out.metricSnapshot(snapshot);
        });
        return out.build();
    }
}
