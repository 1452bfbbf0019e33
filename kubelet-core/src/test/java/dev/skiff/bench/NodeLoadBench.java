package dev.skiff.bench;

import com.github.dockerjava.api.DockerClient;
import dev.skiff.cri.stats.CgroupStatsReader;
import dev.skiff.cri.docker.ContainerLogs;
import dev.skiff.cri.docker.DockerRuntimeService;
import dev.skiff.cri.docker.ExecSyncRunner;
import dev.skiff.cri.docker.PauseImage;
import dev.skiff.cri.testing.TestDocker;
import dev.skiff.cri.v1.ListContainersRequest;
import dev.skiff.cri.v1.ListPodSandboxRequest;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code make bench}, second part: Skiff under a full node. 100 pods without volumes and then 100 pods with two
 * volumes each (an emptyDir and a configMap), all written at once, timed to Running side by side; then, with the
 * 100 volume pods running, Skiff's idle CPU and RSS and its volume threads' CPU over a quiet window; then 10 more
 * pods and the CRI relist (ListPodSandbox + ListContainers) of all 110. Prints PASS/MISS against the targets
 * (idle ≤ 0.05 core and ≤ 150 MB RSS with 100 pods, relist of 110 pods ≤ 50 ms) and exits 0 either way; 1 only
 * when it cannot measure.
 */
public final class NodeLoadBench implements BenchMain.Bench {
    private static final int PODS = Integer.getInteger("bench.load.pods", 100);
    private static final int EXTRA = 10;
    private static final Duration IDLE_SETTLE = Duration.ofSeconds(Integer.getInteger("bench.idle.settle", 15));
    private static final Duration IDLE_WINDOW = Duration.ofSeconds(Integer.getInteger("bench.idle.window", 30));
    private static final Duration BATCH_TIMEOUT = Duration.ofMinutes(5);
    private static final double TARGET_IDLE_CORES = 0.05;
    private static final long TARGET_RSS_BYTES = 150L * 1024 * 1024;
    private static final double TARGET_RELIST_MS = 50;
    private static final int RELIST_SAMPLES = 20;

    private final DockerClient docker;
    private final String busybox;
    private final String namespace = TestDocker.newNamespace("load");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private NodeLoadBench(DockerClient docker, String busybox) {
        this.docker = docker;
        this.busybox = busybox;
    }

    public static void main(String[] args) throws Exception {
        BenchMain.run(s -> new NodeLoadBench(s.docker(), s.busybox()));
    }

    @Override
    public String namespace() {
        return namespace;
    }

    @Override
    public int run(Path skiff) throws Exception {
        System.out.printf(Locale.ROOT, "node load bench: %d pods at once without volumes, then %d with an emptyDir and a"
                + " configMap each; idle CPU/RSS with them; relist of %d pods; namespace %s%n", PODS, PODS, PODS + EXTRA,
                namespace);
        Path base = Files.createTempDirectory("skiff-load-");
        BenchSkiff run = null;
        try {
            run = BenchSkiff.start(skiff, base);
            run.awaitHealthy();
            Path manifests = base.resolve("manifests");
            BenchSkiff.writeManifest(manifests, "config.yaml", configMap());

            Duration plain = startBatch(run, manifests, "plain", false);
            deleteBatch(run, manifests, "plain");
            long reconcilerBefore = run.cpuTicks("volume-reconcil");
            Duration withVolumes = startBatch(run, manifests, "vol", true);
            long reconcilerStart = run.cpuTicks("volume-reconcil") - reconcilerBefore;
            System.out.printf(Locale.ROOT, "  %d pods to Running, written at once: without volumes %.1f s, with two volumes"
                            + " each %.1f s (ratio %.2f); volume-reconciler CPU for the %d mounts %.2f s%n", PODS,
                    seconds(plain), seconds(withVolumes), seconds(withVolumes) / seconds(plain), 2 * PODS,
                    reconcilerStart / BenchSkiff.TICKS_PER_SECOND);

            idle(run);
            relist(run, manifests);
            System.out.println("  skiff's log: " + run.log);
            return 0;
        } catch (BenchException e) {
            return BenchMain.cannotMeasure(e, run);
        } finally {
            BenchSkiff.removeAll(run, base, http, namespace, BATCH_TIMEOUT);
        }
    }

    /** Skiff's whole-process CPU and RSS, and its two volume threads' CPU, over a window with nothing changing. */
    private void idle(BenchSkiff run) throws Exception {
        Thread.sleep(IDLE_SETTLE.toMillis());
        long t0 = System.nanoTime();
        long all0 = run.cpuTicks("");
        long rec0 = run.cpuTicks("volume-reconcil");
        long pop0 = run.cpuTicks("volume-populat");
        Thread.sleep(IDLE_WINDOW.toMillis());
        double secs = (System.nanoTime() - t0) / 1e9;
        double cores = (run.cpuTicks("") - all0) / BenchSkiff.TICKS_PER_SECOND / secs;
        double reconciler = (run.cpuTicks("volume-reconcil") - rec0) / BenchSkiff.TICKS_PER_SECOND / secs;
        double populator = (run.cpuTicks("volume-populat") - pop0) / BenchSkiff.TICKS_PER_SECOND / secs;
        long rss = run.rssBytes();
        System.out.printf(Locale.ROOT, "  idle with %d pods (%d volumes) over %.0f s: skiff %.4f cores, target <= %.2f: %s;"
                        + " RSS %d MB, target <= %d MB: %s%n", PODS, 2 * PODS, secs, cores, TARGET_IDLE_CORES,
                cores <= TARGET_IDLE_CORES ? "PASS" : "MISS", rss >> 20, TARGET_RSS_BYTES >> 20,
                rss <= TARGET_RSS_BYTES ? "PASS" : "MISS");
        System.out.printf(Locale.ROOT, "  idle volume threads: volume-reconciler %.5f cores, volume-populator %.5f cores%n",
                reconciler, populator);
    }

    /** Adds pods up to 110 and times the CRI list calls a PLEG relist makes, in-process against the same Docker. */
    private void relist(BenchSkiff run, Path manifests) throws Exception {
        for (int i = 0; i < EXTRA; i++) {
            BenchSkiff.writeManifest(manifests, "extra-" + i + ".yaml", pod("extra-" + i, false));
        }
        run.awaitRunning(http, namespace, PODS + EXTRA, BATCH_TIMEOUT);
        ContainerLogs logs = new ContainerLogs(TestDocker.ENDPOINT);
        DockerRuntimeService cri = new DockerRuntimeService(docker, new PauseImage(docker, null), logs,
                new ExecSyncRunner(docker), new CgroupStatsReader(Path.of("/sys/fs/cgroup")));
        List<Duration> samples = new ArrayList<>();
        int sandboxes = 0;
        int containers = 0;
        try {
            for (int i = 0; i < RELIST_SAMPLES + 3; i++) {
                long t0 = System.nanoTime();
                sandboxes = cri.listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsCount();
                containers = cri.listContainers(ListContainersRequest.getDefaultInstance()).getContainersCount();
                if (i >= 3) { // the first calls warm the client
                    samples.add(Duration.ofNanos(System.nanoTime() - t0));
                }
                Thread.sleep(200);
            }
        } finally {
            logs.close();
        }
        double median = PodStartBench.median(samples);
        System.out.printf(Locale.ROOT, "  relist (ListPodSandbox + ListContainers) with %d sandboxes, %d containers: median"
                        + " %.1f ms p99 %.1f ms, target <= %.0f ms: %s%n", sandboxes, containers, median,
                PodStartBench.p99(samples), TARGET_RELIST_MS, median <= TARGET_RELIST_MS ? "PASS" : "MISS");
    }

    private Duration startBatch(BenchSkiff run, Path manifests, String prefix, boolean volumes) throws Exception {
        long t0 = System.nanoTime();
        for (int i = 0; i < PODS; i++) {
            BenchSkiff.writeManifest(manifests, prefix + "-" + i + ".yaml", pod(prefix + "-" + i, volumes));
        }
        run.awaitRunning(http, namespace, PODS, BATCH_TIMEOUT);
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    private void deleteBatch(BenchSkiff run, Path manifests, String prefix) throws Exception {
        for (int i = 0; i < PODS; i++) {
            Files.deleteIfExists(manifests.resolve(prefix + "-" + i + ".yaml"));
        }
        run.awaitNoPods(http, namespace, BATCH_TIMEOUT);
    }

    private String configMap() {
        return """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: bench-config
                  namespace: %s
                data:
                  app.properties: "color=blue\\nsize=L\\n"
                """.formatted(namespace);
    }

    private String pod(String name, boolean volumes) {
        String mounts = volumes ? """
                    volumeMounts:
                    - {name: scratch, mountPath: /scratch}
                    - {name: config, mountPath: /etc/app}
                  volumes:
                  - {name: scratch, emptyDir: {}}
                  - {name: config, configMap: {name: bench-config}}
                """ : "";
        return BenchSkiff.sleepPod(name, namespace, busybox, mounts);
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }
}
