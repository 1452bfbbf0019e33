package dev.skiff.bench;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import dev.skiff.cri.docker.PauseImage;
import dev.skiff.cri.testing.TestDocker;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code make bench}, third part: termination under load. Pods with the default 30 s grace period whose process
 * ignores SIGTERM (busybox sleep as PID 1) are removed, one alone and then 50 at once, timed from the removal until
 * Docker runs none of their containers (target for the 50: within 35 s, one grace period plus a few seconds, beside
 * the one pod's time). While the 50 terminate, a new pod is written and timed to Running beside the same pod's start
 * on an idle node; then, as the floor, the same number of such pods (pause + container) stopped by Docker alone, in
 * parallel.
 * Prints PASS/MISS and exits 0 either way; 1 only when it cannot measure.
 */
public final class TerminationBench implements BenchMain.Bench {
    private static final int PODS = Integer.getInteger("bench.term.pods", 50);
    private static final long GRACE_SECONDS = 30;
    private static final Duration TARGET = Duration.ofSeconds(35);
    private static final Duration TIMEOUT = Duration.ofMinutes(5);

    private final DockerClient docker;
    private final String busybox;
    private final String namespace = TestDocker.newNamespace("term");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private TerminationBench(DockerClient docker, String busybox) {
        this.docker = docker;
        this.busybox = busybox;
    }

    public static void main(String[] args) throws Exception {
        BenchMain.run(s -> new TerminationBench(s.docker(), s.busybox()));
    }

    @Override
    public String namespace() {
        return namespace;
    }

    @Override
    public int run(Path skiff) throws Exception {
        System.out.printf(Locale.ROOT, "termination bench: pods with a %d s grace period ignoring SIGTERM, 1 then %d"
                + " removed at once; a new pod started meanwhile; namespace %s%n", GRACE_SECONDS, PODS, namespace);
        Path base = Files.createTempDirectory("skiff-term-");
        BenchSkiff run = null;
        try {
            run = BenchSkiff.start(skiff, base);
            run.awaitHealthy();
            Path manifests = base.resolve("manifests");

            startOne(run, manifests, "probe-warm"); // the first pod pays for the JIT and the first sandbox
            Duration idleStart = startOne(run, manifests, "probe-idle");
            Duration one = terminate(run, manifests, "one", 1, null);
            Duration[] lateStart = new Duration[1];
            Duration many = terminate(run, manifests, "many", PODS, lateStart);
            Duration floor = dockerAlone();
            System.out.printf(Locale.ROOT, "  removed at once, until Docker runs none of their containers: 1 pod %.1f s,"
                            + " %d pods %.1f s, target <= %.0f s: %s%n", seconds(one), PODS, seconds(many),
                    seconds(TARGET), many.compareTo(TARGET) <= 0 ? "PASS" : "MISS");
            System.out.printf(Locale.ROOT, "  floor: Docker alone stopping %d such pods at once (container with docker"
                    + " stop -t %d, then its pause container; all pods in parallel) %.1f s; skiff/floor %.2f%n", PODS,
                    GRACE_SECONDS, seconds(floor), seconds(many) / seconds(floor));
            System.out.printf(Locale.ROOT, "  a new pod to Running: on an idle node %.2f s, while the %d terminate %.2f s"
                    + "%n", seconds(idleStart), PODS, seconds(lateStart[0]));
            System.out.println("  skiff's log: " + run.log);
            return 0;
        } catch (BenchException e) {
            return BenchMain.cannotMeasure(e, run);
        } finally {
            if (run != null) {
                BenchSkiff.deleteManifests(base.resolve("manifests"));
                if (run.process.isAlive()) {
                    awaitNoContainers("", TIMEOUT);
                }
                run.stop();
            }
            BenchSkiff.deleteTree(base);
        }
    }

    /**
     * The same Docker calls made directly: {@code PODS} pods, each a pause container and a busybox container ignoring
     * SIGTERM in its network namespace; every pod stopped at once, in parallel, as a kubelet must: the container
     * ({@code docker stop -t GRACE}), then its sandbox.
     */
    private Duration dockerAlone() throws Exception {
        String pause = new PauseImage(docker, null).name();
        List<String[]> pods = new java.util.ArrayList<>();
        for (int i = 0; i < PODS; i++) {
            Map<String, String> labels = Map.of("io.kubernetes.pod.namespace", namespace, "io.kubernetes.pod.name",
                    "floor-" + i);
            String sandbox = docker.createContainerCmd(pause).withName("skiff-bench-term-floor-" + namespace + "-" + i
                    + "-pause").withLabels(labels).exec().getId();
            docker.startContainerCmd(sandbox).exec();
            String app = docker.createContainerCmd(busybox).withName("skiff-bench-term-floor-" + namespace + "-" + i)
                    .withLabels(labels).withCmd("sleep", "3600")
                    .withHostConfig(com.github.dockerjava.api.model.HostConfig.newHostConfig()
                            .withNetworkMode("container:" + sandbox))
                    .exec().getId();
            docker.startContainerCmd(app).exec();
            pods.add(new String[] {app, sandbox});
        }
        var pool = java.util.concurrent.Executors.newFixedThreadPool(PODS);
        try {
            long t0 = System.nanoTime();
            List<java.util.concurrent.Future<?>> stops = new java.util.ArrayList<>();
            for (String[] pod : pods) {
                stops.add(pool.submit(() -> {
                    docker.stopContainerCmd(pod[0]).withTimeout((int) GRACE_SECONDS).exec();
                    docker.stopContainerCmd(pod[1]).withTimeout(10).exec();
                }));
            }
            for (var f : stops) {
                f.get(TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
            }
            return Duration.ofNanos(System.nanoTime() - t0);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Starts {@code count} pods, removes them at once and times until none of their containers runs. */
    private Duration terminate(BenchSkiff run, Path manifests, String prefix, int count, Duration[] lateStart)
            throws Exception {
        for (int i = 0; i < count; i++) {
            BenchSkiff.writeManifest(manifests, prefix + "-" + i + ".yaml", pod(prefix + "-" + i, GRACE_SECONDS));
        }
        awaitRunning(run, prefix + "-", count);
        long t0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            Files.delete(manifests.resolve(prefix + "-" + i + ".yaml"));
        }
        if (lateStart != null) {
            Thread.sleep(2000); // the removals are under way: every pod is in its grace period
            lateStart[0] = startOne(run, manifests, "probe-busy");
        }
        awaitNoContainers(prefix + "-", TIMEOUT);
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    private Duration startOne(BenchSkiff run, Path manifests, String name) throws Exception {
        long t0 = System.nanoTime();
        BenchSkiff.writeManifest(manifests, name + ".yaml", pod(name, 1));
        awaitRunning(run, name, 1);
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        Files.delete(manifests.resolve(name + ".yaml"));
        return took;
    }

    private void awaitRunning(BenchSkiff run, String namePrefix, int count) throws Exception {
        run.awaitRunning(http, namespace, namePrefix, count, TIMEOUT);
    }

    /** Waits until Docker runs no container (app or sandbox) of this bench's pods named {@code namePrefix}…. */
    private void awaitNoContainers(String namePrefix, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            List<Container> left = docker.listContainersCmd()
                    .withLabelFilter(Map.of("io.kubernetes.pod.namespace", namespace)).exec().stream()
                    .filter(c -> c.getLabels().getOrDefault("io.kubernetes.pod.name", "").startsWith(namePrefix))
                    .toList();
            if (left.isEmpty()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new BenchException("containers still running " + timeout.toMinutes() + " min after their manifests went");
    }

    private String pod(String name, long grace) {
        return """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                  namespace: %s
                spec:
                  terminationGracePeriodSeconds: %d
                  containers:
                  - name: sleep
                    image: %s
                    imagePullPolicy: IfNotPresent
                    command: ["sleep", "3600"]
                """.formatted(name, namespace, grace, busybox);
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }
}
