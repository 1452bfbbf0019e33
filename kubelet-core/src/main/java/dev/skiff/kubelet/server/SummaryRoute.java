package dev.skiff.kubelet.server;

import dev.skiff.kubelet.stats.Summary;
import dev.skiff.kubelet.stats.SummaryProvider;

import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@code /stats/summary} (upstream's Summary API, what metrics-server reads), on both ports. As upstream,
 * {@code only_cpu_and_memory} is read as Go's strconv.ParseBool and a value it cannot parse means false.
 */
public final class SummaryRoute {
    private static final Set<String> TRUE = Set.of("1", "t", "T", "true", "TRUE", "True");

    private SummaryRoute() {
    }

    /** @param summaries empty until the container runtime answered (the stats parts start after it) */
    public static Route of(Supplier<Optional<SummaryProvider>> summaries) {
        // the provider answers requests within one stats read with the same Summary: its JSON is made once too
        java.util.concurrent.atomic.AtomicReference<Rendered> full = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicReference<Rendered> cpuAndMemory = new java.util.concurrent.atomic.AtomicReference<>();
        return Route.get("/stats/summary", Route.Kind.DEFAULT, (req, res) -> {
            Optional<SummaryProvider> provider = summaries.get();
            if (provider.isEmpty()) {
                res.text(503, "stats are not available yet: the container runtime has not answered\n");
                return;
            }
            boolean onlyCpuAndMemory = TRUE.contains(req.query().getOrDefault("only_cpu_and_memory", ""));
            Summary summary = provider.get().summary(onlyCpuAndMemory);
            var last = onlyCpuAndMemory ? cpuAndMemory : full;
            Rendered r = last.get();
            if (r == null || r.summary() != summary) {
                r = new Rendered(summary, Response.JSON.writeValueAsBytes(summary));
                last.set(r);
            }
            res.send(200, "application/json", r.json());
        });
    }

    /** A Summary and its JSON. */
    private record Rendered(Summary summary, byte[] json) {
    }
}
