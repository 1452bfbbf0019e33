package dev.skiff.bench;

import dev.skiff.cri.testing.TestDocker;
import dev.skiff.kubelet.it.PrometheusServer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code make bench}, stats and monitoring: with 100 running pods, the latency of {@code /stats/summary},
 * {@code /metrics/cadvisor} and {@code /metrics/resource} over HTTPS with a bearer token, as Prometheus and
 * metrics-server call them (target p99 ≤ 100 ms each), then Skiff's CPU idle and while a real Prometheus (Debian's,
 * on {@code examples/monitoring/prometheus.yml} as written but for the port and paths) scrapes all three every 15 s
 * (target ≤ 0.05 core above idle). Prints PASS/MISS and exits 0 either way; 1 only when it cannot measure.
 */
public final class StatsBench implements BenchMain.Bench {
    private static final int PODS = Integer.getInteger("bench.stats.pods", 100);
    private static final int CALLS = Integer.getInteger("bench.stats.calls", 200);
    /**
     * Calls are spaced so the stats reader's 1 s cache is refilled every few calls, as under real scrapes;
     * {@code -Dbench.stats.spacing=1100} makes every call read the cgroups anew (what a 15 s scrape costs).
     */
    private static final Duration CALL_SPACING = Duration.ofMillis(Integer.getInteger("bench.stats.spacing", 100));
    /** {@code -Dbench.stats.prometheus=false} leaves out the Prometheus part (a quicker look at the calls alone). */
    private static final boolean PROMETHEUS = Boolean.parseBoolean(System.getProperty("bench.stats.prometheus", "true"));
    private static final Duration SETTLE = Duration.ofSeconds(Integer.getInteger("bench.idle.settle", 15));
    private static final Duration WINDOW = Duration.ofSeconds(Integer.getInteger("bench.stats.window", 180));
    private static final Duration SCRAPE_INTERVAL = Duration.ofSeconds(15);
    private static final Duration BATCH_TIMEOUT = Duration.ofMinutes(5);
    private static final double TARGET_P99_MS = 100;
    private static final double TARGET_SCRAPE_CORES = 0.05;
    private static final List<String> PATHS = List.of("/stats/summary", "/metrics/cadvisor", "/metrics/resource");
    private static final List<String> JOBS = List.of("kubelet", "kubelet-cadvisor", "kubelet-resource");

    private final String busybox;
    private final String namespace = TestDocker.newNamespace("stats");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private StatsBench(String busybox) {
        this.busybox = busybox;
    }

    public static void main(String[] args) throws Exception {
        BenchMain.run(s -> new StatsBench(s.busybox()));
    }

    @Override
    public String namespace() {
        return namespace;
    }

    @Override
    public int run(Path skiff) throws Exception {
        System.out.printf(Locale.ROOT, "stats bench: %d pods; %d calls each of %s over HTTPS; skiff's CPU idle and while"
                + " Prometheus scrapes every %d s, over %d s each; namespace %s%n", PODS, CALLS, PATHS,
                SCRAPE_INTERVAL.toSeconds(), WINDOW.toSeconds(), namespace);
        Path base = Files.createTempDirectory("skiff-stats-");
        Path secrets = Files.createDirectories(base.resolve("secrets"));
        PrometheusServer.addToken(secrets);
        BenchSkiff run = null;
        try {
            run = BenchSkiff.start(skiff, base, "--address", "127.0.0.1",
                    "--token-auth-file", secrets.resolve("tokens.csv").toString(),
                    "--authorization-policy-file", PrometheusServer.EXAMPLE.resolve("policy.yaml").toString());
            run.awaitHealthy();
            Path manifests = base.resolve("manifests");
            for (int i = 0; i < PODS; i++) {
                BenchSkiff.writeManifest(manifests, "pod-" + i + ".yaml", BenchSkiff.sleepPod("pod-" + i, namespace, busybox, ""));
            }
            run.awaitRunning(http, namespace, PODS, BATCH_TIMEOUT);

            HttpClient https = BenchSkiff.httpsClient(run.certDir().resolve("kubelet.crt"));
            String token = Files.readString(secrets.resolve("prometheus.token")).strip();
            double idle = cores(run, "idle");
            for (String path : PATHS) {
                latency(run, https, token, path, idle);
                System.out.printf(Locale.ROOT, "    load average %s%n", Files.readString(Path.of("/proc/loadavg")).strip());
            }
            if (!PROMETHEUS) {
                System.out.println("  skiff's log: " + run.log);
                return 0;
            }
            String config = PrometheusServer.exampleConfig(run.securePort, run.root.resolve("pki/kubelet.crt"),
                    secrets.resolve("prometheus.token"), SCRAPE_INTERVAL);
            try (PrometheusServer prometheus = PrometheusServer.start(config)) {
                prometheus.awaitReady(Duration.ofSeconds(60));
                prometheus.awaitTargetsUp(JOBS, Duration.ofSeconds(60));
                double scraped = cores(run, "scraped by Prometheus");
                double above = scraped - idle;
                System.out.printf(Locale.ROOT, "  CPU for the scrapes: %.4f cores above idle, target <= %.2f: %s%n",
                        above, TARGET_SCRAPE_CORES, above <= TARGET_SCRAPE_CORES ? "PASS" : "MISS");
                for (String job : JOBS) {
                    System.out.printf(Locale.ROOT, "    %s: up %s, %s samples, last scrape %.1f ms%n", job,
                            value(prometheus, "up{job=\"" + job + "\"}"),
                            value(prometheus, "scrape_samples_scraped{job=\"" + job + "\"}"),
                            Double.parseDouble(value(prometheus, "scrape_duration_seconds{job=\"" + job + "\"}")) * 1000);
                }
            }
            System.out.println("  skiff's log: " + run.log);
            return 0;
        } catch (BenchException | AssertionError e) {
            return BenchMain.cannotMeasure(e, run);
        } finally {
            BenchSkiff.removeAll(run, base, http, namespace, BATCH_TIMEOUT);
        }
    }

    /**
     * {@link #CALLS} GETs of {@code path}, {@link #CALL_SPACING} apart, after a few that warm up both sides; with Skiff's
     * CPU per call above its {@code idleCores} (wall-clock latency on a shared machine is noisy, CPU much less so).
     */
    private void latency(BenchSkiff run, HttpClient https, String token, String path, double idleCores) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + run.securePort + path))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(10)).build();
        List<Duration> samples = new ArrayList<>();
        long bytes = 0;
        long cpu0 = 0, start = 0;
        java.util.Map<String, Long> threads0 = java.util.Map.of();
        for (int i = 0; i < CALLS + 5; i++) {
            if (i == 5) {
                cpu0 = run.cpuTicks("");
                threads0 = run.cpuTicksByThreadGroup();
                start = System.nanoTime();
            }
            long t0 = System.nanoTime();
            HttpResponse<byte[]> r = https.send(request, HttpResponse.BodyHandlers.ofByteArray());
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            if (r.statusCode() != 200) {
                throw new BenchException(path + " answered HTTP " + r.statusCode() + ": " + new String(r.body()).strip());
            }
            bytes = r.body().length;
            if (i >= 5) {
                samples.add(took);
            }
            Thread.sleep(CALL_SPACING.toMillis());
        }
        double secs = (System.nanoTime() - start) / 1e9;
        double cpuMs = ((run.cpuTicks("") - cpu0) / BenchSkiff.TICKS_PER_SECOND - idleCores * secs) * 1000 / CALLS;
        double p99 = PodStartBench.p99(samples);
        System.out.printf(Locale.ROOT, "  %-18s (%d KiB): median %.1f ms p99 %.1f ms, target p99 <= %.0f ms: %s;"
                        + " CPU %.1f ms per call above idle (busiest threads, cores: %s)%n", path, bytes >> 10,
                PodStartBench.median(samples), p99, TARGET_P99_MS, p99 <= TARGET_P99_MS ? "PASS" : "MISS", cpuMs,
                BenchSkiff.topThreadGroups(threads0, run.cpuTicksByThreadGroup(), secs, 4));
    }

    /** Skiff's whole-process CPU in cores over {@link #WINDOW}, after {@link #SETTLE}. */
    private static double cores(BenchSkiff run, String what) throws Exception {
        Thread.sleep(SETTLE.toMillis());
        run.checkAlive();
        long t0 = System.nanoTime();
        long ticks0 = run.cpuTicks("");
        Thread.sleep(WINDOW.toMillis());
        double secs = (System.nanoTime() - t0) / 1e9;
        double cores = (run.cpuTicks("") - ticks0) / BenchSkiff.TICKS_PER_SECOND / secs;
        System.out.printf(Locale.ROOT, "  skiff %s with %d pods over %.0f s: %.4f cores, RSS %d MB%n", what, PODS, secs,
                cores, run.rssBytes() >> 20);
        return cores;
    }

    private static String value(PrometheusServer prometheus, String promql) throws Exception {
        List<PrometheusServer.Sample> s = prometheus.query(promql);
        return s.size() == 1 ? String.valueOf(s.get(0).value()) : "NaN";
    }
}
