package dev.skiff.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skiff.cri.testing.TestDocker;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code make bench}, probes: 100 pods, each a busybox httpd with an httpGet readiness probe every second and an exec
 * liveness probe every 10 s. Measures Skiff's CPU and RSS while it probes them (targets ≤ 0.10 core, ≤ 160 MB), then,
 * pod by pod, the time from the readiness endpoint starting to answer 200 (the bench creates the file httpd serves, in
 * the pod's hostPath volume) to the pod's Ready condition at {@code /pods} (target p99 ≤ periodSeconds + 100 ms).
 * Prints PASS/MISS and exits 0 either way; 1 only when it cannot measure.
 */
public final class ProbeLoadBench implements BenchMain.Bench {
    private static final int PODS = Integer.getInteger("bench.probe.pods", 100);
    private static final int READY_SAMPLES = Integer.getInteger("bench.probe.samples", 30);
    private static final Duration SETTLE = Duration.ofSeconds(Integer.getInteger("bench.idle.settle", 15));
    private static final Duration WINDOW = Duration.ofSeconds(Integer.getInteger("bench.idle.window", 30));
    private static final Duration BATCH_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final double TARGET_CORES = 0.10;
    private static final long TARGET_RSS_BYTES = 160L * 1024 * 1024;
    private static final double TARGET_READY_P99_MS = 1000 + 100;

    private final String busybox;
    private final String namespace = TestDocker.newNamespace("probe");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private ProbeLoadBench(String busybox) {
        this.busybox = busybox;
    }

    public static void main(String[] args) throws Exception {
        BenchMain.run(s -> new ProbeLoadBench(s.busybox()));
    }

    @Override
    public String namespace() {
        return namespace;
    }

    @Override
    public int run(Path skiff) throws Exception {
        System.out.printf(Locale.ROOT, "probe load bench: %d pods, each with an httpGet readiness probe every 1 s and an"
                + " exec liveness probe every 10 s; namespace %s%n", PODS, namespace);
        Path base = Files.createTempDirectory("skiff-probe-");
        Path www = Files.createDirectories(base.resolve("www"));
        BenchSkiff run = null;
        try {
            run = BenchSkiff.start(skiff, base);
            run.awaitHealthy();
            Path manifests = base.resolve("manifests");
            long t0 = System.nanoTime();
            for (int i = 0; i < PODS; i++) {
                Path docroot = Files.createDirectories(www.resolve("p-" + i));
                BenchSkiff.writeManifest(manifests, "p-" + i + ".yaml", pod("p-" + i, docroot));
            }
            run.awaitRunning(http, namespace, PODS, BATCH_TIMEOUT);
            System.out.printf(Locale.ROOT, "  %d probed pods Running in %.1f s%n", PODS, (System.nanoTime() - t0) / 1e9);

            Thread.sleep(SETTLE.toMillis());
            long w0 = System.nanoTime();
            long cpu0 = run.cpuTicks("");
            long prober0 = run.cpuTicks("prober");
            var threads0 = run.cpuTicksByThreadGroup();
            Thread.sleep(WINDOW.toMillis());
            double secs = (System.nanoTime() - w0) / 1e9;
            double cores = (run.cpuTicks("") - cpu0) / BenchSkiff.TICKS_PER_SECOND / secs;
            double prober = (run.cpuTicks("prober") - prober0) / BenchSkiff.TICKS_PER_SECOND / secs;
            long rss = run.rssBytes();
            String topThreads = BenchSkiff.topThreadGroups(threads0, run.cpuTicksByThreadGroup(), secs, 8);
            System.out.printf(Locale.ROOT, "  probing %d pods (%.0f probes/s) over %.0f s: skiff %.4f cores (prober threads"
                            + " %.4f), target <= %.2f: %s; RSS %d MB, target <= %d MB: %s%n", PODS, PODS * 1.1, secs,
                    cores, prober, TARGET_CORES, cores <= TARGET_CORES ? "PASS" : "MISS", rss >> 20,
                    TARGET_RSS_BYTES >> 20, rss <= TARGET_RSS_BYTES ? "PASS" : "MISS");
            System.out.println("  busiest threads (cores): " + topThreads);

            List<Duration> samples = new ArrayList<>();
            for (int i = 0; i < Math.min(READY_SAMPLES, PODS); i++) {
                samples.add(timeToReady(run, "p-" + i, www.resolve("p-" + i)));
            }
            double p99 = PodStartBench.p99(samples);
            System.out.printf(Locale.ROOT, "  readiness endpoint answering 200 -> pod Ready at /pods, %d pods: median %.0f ms,"
                            + " p99 %.0f ms, target p99 <= %.0f ms: %s%n", samples.size(), PodStartBench.median(samples),
                    p99, TARGET_READY_P99_MS, p99 <= TARGET_READY_P99_MS ? "PASS" : "MISS");
            System.out.println("  skiff's log: " + run.log);
            return 0;
        } catch (BenchException e) {
            return BenchMain.cannotMeasure(e, run);
        } finally {
            BenchSkiff.removeAll(run, base, http, namespace, BATCH_TIMEOUT);
        }
    }

    /** Creates the file the pod's readiness probe asks for, then polls /pods until the pod is Ready. */
    private Duration timeToReady(BenchSkiff run, String name, Path docroot) throws Exception {
        String full = name + "-" + run.node;
        long t0 = System.nanoTime();
        Files.writeString(docroot.resolve("ready"), "ok\n");
        long deadline = t0 + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            for (JsonNode p : run.pods(http)) {
                if (full.equals(p.path("metadata").path("name").asText()) && ready(p)) {
                    return Duration.ofNanos(System.nanoTime() - t0);
                }
            }
            Thread.sleep(10);
        }
        throw new BenchException("pod " + full + " not Ready " + READY_TIMEOUT.toSeconds() + " s after its endpoint answered 200");
    }

    private static boolean ready(JsonNode pod) {
        for (JsonNode c : pod.path("status").path("conditions")) {
            if ("Ready".equals(c.path("type").asText())) {
                return "True".equals(c.path("status").asText());
            }
        }
        return false;
    }

    private String pod(String name, Path docroot) {
        return """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                  namespace: %s
                spec:
                  terminationGracePeriodSeconds: 1
                  volumes:
                  - name: www
                    hostPath: {path: %s, type: Directory}
                  containers:
                  - name: web
                    image: %s
                    imagePullPolicy: IfNotPresent
                    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
                    volumeMounts:
                    - {name: www, mountPath: /www}
                    readinessProbe:
                      httpGet: {path: /ready, port: 8080}
                      periodSeconds: 1
                    livenessProbe:
                      exec: {command: ["true"]}
                      periodSeconds: 10
                """.formatted(name, namespace, docroot, busybox);
    }
}
