package dev.skiff.kubelet.stats;

import dev.skiff.kubelet.metrics.ExpositionBuffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The samples of one scrape by family, kept as plain arrays (labels, value, timestamp) and written straight as
 * exposition text: the Prometheus text format 0.0.4 or OpenMetrics 1.0, exactly as the client library writes
 * counters and gauges (families ordered by name, a family without samples left out, HELP escaped per format), but
 * with no object per sample. A family's samples keep the order they were added in (the library sorts them by
 * labels; a scraper takes them in any order). Counters are named with their {@code _total} suffix here; OpenMetrics' TYPE and HELP
 * lines name them without it. A timestamp of 0 means none (the scraper's time), as for upstream's samples without one.
 */
final class MetricFamilies {
    private static final class Family {
        final String name;
        final byte[] nameUtf8;
        final String baseName;
        final boolean counter;
        final String textHelp;
        final String openMetricsHelp;
        LabelSet[] labels = new LabelSet[16];
        double[] values = new double[16];
        long[] timestamps = new long[16];
        int size;

        Family(String name, String help, boolean counter) {
            this.name = name;
            this.nameUtf8 = name.getBytes(StandardCharsets.UTF_8);
            this.counter = counter;
            this.baseName = counter ? name.substring(0, name.length() - "_total".length()) : name;
            this.textHelp = escapeHelp(help, false);
            this.openMetricsHelp = escapeHelp(help, true);
        }

        void add(LabelSet l, double value, long timestamp) {
            if (size == values.length) {
                int n = size * 2;
                labels = Arrays.copyOf(labels, n);
                values = Arrays.copyOf(values, n);
                timestamps = Arrays.copyOf(timestamps, n);
            }
            labels[size] = l;
            values[size] = value;
            timestamps[size] = timestamp;
            size++;
        }
    }

    private final Map<String, Family> families = new HashMap<>();

    void declareGauge(String name, String help) {
        families.putIfAbsent(name, new Family(name, help, false));
    }

    void declareCounter(String nameWithTotal, String help) {
        if (!nameWithTotal.endsWith("_total")) {
            throw new IllegalArgumentException("a counter's name ends with _total: " + nameWithTotal);
        }
        families.putIfAbsent(nameWithTotal, new Family(nameWithTotal, help, true));
    }

    void add(String name, LabelSet labels, double value, long timestampMillis) {
        Family f = families.get(name);
        if (f == null) {
            throw new IllegalArgumentException("undeclared metric " + name);
        }
        f.add(labels, value, timestampMillis);
    }

    /** The number of samples added (all families). */
    int samples() {
        return families.values().stream().mapToInt(f -> f.size).sum();
    }

    /** Every family that has samples, ordered by name, in OpenMetrics (with its {@code # EOF}) or the text format. */
    void write(ExpositionBuffer out, boolean openMetrics) {
        List<Family> sorted = new ArrayList<>(families.values());
        sorted.sort(Comparator.comparing(f -> f.baseName));
        for (Family f : sorted) {
            if (f.size == 0) {
                continue;
            }
            String type = f.counter ? "counter" : "gauge";
            if (openMetrics) {
                out.append("# TYPE ").append(f.baseName).append(' ').append(type).append('\n');
                out.append("# HELP ").append(f.baseName).append(' ').append(f.openMetricsHelp).append('\n');
            } else {
                out.append("# HELP ").append(f.name).append(' ').append(f.textHelp).append('\n');
                out.append("# TYPE ").append(f.name).append(' ').append(type).append('\n');
            }
            for (int i = 0; i < f.size; i++) {
                out.append(f.nameUtf8);
                LabelSet l = f.labels[i];
                if (!l.isEmpty()) {
                    out.append('{').append(l.utf8()).append('}');
                }
                out.append(' ').appendValue(f.values[i]);
                long ts = f.timestamps[i];
                if (ts > 0) {
                    out.append(' ');
                    if (openMetrics) {
                        seconds(out, ts);
                    } else {
                        out.append(ts);
                    }
                }
                out.append('\n');
            }
        }
        if (openMetrics) {
            out.append("# EOF\n");
        }
    }

    /** OpenMetrics' timestamp: seconds with the milliseconds as three decimals. */
    private static void seconds(ExpositionBuffer out, long millis) {
        long ms = millis % 1000;
        out.append(millis / 1000).append('.');
        if (ms < 100) {
            out.append('0');
        }
        if (ms < 10) {
            out.append('0');
        }
        out.append(ms);
    }

    /** HELP escapes backslash and line feed; OpenMetrics also the double quote. */
    private static String escapeHelp(String help, boolean openMetrics) {
        StringBuilder b = new StringBuilder(help.length());
        for (int i = 0; i < help.length(); i++) {
            char c = help.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '"' -> b.append(openMetrics ? "\\\"" : "\"");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
