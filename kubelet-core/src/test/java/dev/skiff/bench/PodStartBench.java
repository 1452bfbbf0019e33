package dev.skiff.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.HostConfig;
import dev.skiff.cri.stats.CgroupStatsReader;
import dev.skiff.cri.docker.ContainerLogs;
import dev.skiff.cri.docker.DockerRuntimeService;
import dev.skiff.cri.docker.ExecSyncRunner;
import dev.skiff.cri.docker.KubeLabels;
import dev.skiff.cri.docker.PauseImage;
import dev.skiff.cri.testing.TestDocker;
import dev.skiff.cri.v1.ListContainersRequest;
import dev.skiff.cri.v1.ListPodSandboxRequest;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code make bench}: how long Skiff takes from a manifest written into its directory to the pod reported
 * Running at {@code /pods}, beside the floor, the same Docker calls made directly (create, start and inspect a
 * pause sandbox; create, start and inspect a busybox container joining its network, IPC and PID namespaces).
 * 20 pods one at a time (after 2 warm-up pods), median and p99, and their ratio. A benchmark: it prints
 * PASS/MISS against the targets (ratio ≤ 1.25, p99 ≤ 1 s) and exits 0 either way; it exits 1 only
 * when it cannot measure (Docker absent, Skiff does not start, a pod never runs).
 *
 * <p>Run from the checkout root or kubelet-core (it starts {@code bin/skiff}, built by {@code make build}).
 */
public final class PodStartBench implements BenchMain.Bench {
    private static final int PODS = Integer.getInteger("bench.pods", 20);
    private static final int WARMUP = Integer.getInteger("bench.warmup", 5);
    private static final Duration POLL = Duration.ofMillis(10);
    private static final Duration POD_TIMEOUT = Duration.ofSeconds(60);
    private static final double TARGET_RATIO = 1.25;
    private static final Duration TARGET_P99 = Duration.ofSeconds(1);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DockerClient docker;
    private final String pause;
    private final String busybox;
    private final String namespace = TestDocker.newNamespace("bench");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private PodStartBench(DockerClient docker, String pause, String busybox) {
        this.docker = docker;
        this.pause = pause;
        this.busybox = busybox;
    }

    public static void main(String[] args) throws Exception {
        BenchMain.run(s -> new PodStartBench(s.docker(), s.pause(), s.busybox()));
    }

    @Override
    public String namespace() {
        return namespace;
    }

    @Override
    public int run(Path skiff) throws Exception {
        System.out.printf(Locale.ROOT, "pod start bench: %d pods one at a time (after %d warm-up), one busybox `sleep 3600`"
                + " container each, shareProcessNamespace; namespace %s%n", PODS, WARMUP, namespace);
        Path base = Files.createTempDirectory("skiff-bench-");
        BenchSkiff run = null;
        try {
            run = BenchSkiff.start(skiff, base);
            run.awaitHealthy();
            System.out.printf(Locale.ROOT, "  skiff started (%s); floor and skiff samples alternate, pod by pod%n", skiff);
            Floor floor = new Floor(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            Results skiffResults = skiffStarts(run, base.resolve("manifests"), floor);
            report(floor, skiffResults);
            breakdown(floor, skiffResults, run.log);
            System.out.println("  skiff's log: " + run.log);
            return 0;
        } catch (BenchException e) {
            return BenchMain.cannotMeasure(e, run);
        } finally {
            if (run != null) {
                run.stop();
            }
            BenchSkiff.deleteTree(base);
        }
    }

    /** The floor: what the Docker Engine itself needs for a sandbox and one container joining it. */
    private record Floor(List<Duration> total, List<Duration> sandbox, List<Duration> container) {}

    /**
     * One floor sample, taken just before the matching Skiff sample so both see the same machine: Skiff idle in the
     * background (PLEG relisting), the same Docker state.
     */
    private void floorOnce(int i, Floor floor) {
        Map<String, String> labels = Map.of(KubeLabels.POD_NAMESPACE, namespace); // for cleanup only
        String suffix = namespace + "-" + i;
        long t0 = System.nanoTime();
        String sandbox = docker.createContainerCmd(pause).withName("skiff-bench-floor-pod-" + suffix).withLabels(labels)
                .withHostConfig(HostConfig.newHostConfig().withNetworkMode("bridge").withIpcMode("shareable"))
                .exec().getId();
        docker.startContainerCmd(sandbox).exec();
        docker.inspectContainerCmd(sandbox).exec();
        long tm = System.nanoTime();
        String app = docker.createContainerCmd(busybox).withName("skiff-bench-floor-app-" + suffix).withLabels(labels)
                .withCmd("sleep", "3600")
                .withHostConfig(HostConfig.newHostConfig().withNetworkMode("container:" + sandbox)
                        .withIpcMode("container:" + sandbox).withPidMode("container:" + sandbox))
                .exec().getId();
        docker.startContainerCmd(app).exec();
        docker.inspectContainerCmd(app).exec();
        long t1 = System.nanoTime();
        if (i >= WARMUP) {
            floor.total().add(Duration.ofNanos(t1 - t0));
            floor.sandbox().add(Duration.ofNanos(tm - t0));
            floor.container().add(Duration.ofNanos(t1 - tm));
        }
        docker.removeContainerCmd(app).withForce(true).exec();
        docker.removeContainerCmd(sandbox).withForce(true).exec();
    }

    /** One measured pod: when its manifest was written and when /pods first said Running (epoch ms). */
    private record Sample(String podName, long writtenAt, long seenRunningAt) {}

    private record Results(List<Duration> start, List<Sample> samples, List<Duration> relist, int sandboxes, int containers) {}

    private Results skiffStarts(BenchSkiff run, Path manifests, Floor floor) throws Exception {
        List<Duration> starts = new ArrayList<>();
        List<Sample> samples = new ArrayList<>();
        List<Duration> relists = new ArrayList<>();
        int[] seen = new int[2];
        // The CRI list calls PLEG makes every second, timed in-process against the same Docker (read-only).
        ContainerLogs logs = new ContainerLogs(TestDocker.ENDPOINT);
        DockerRuntimeService cri = new DockerRuntimeService(docker, new PauseImage(docker, null), logs,
                new ExecSyncRunner(docker), new CgroupStatsReader(Path.of("/sys/fs/cgroup")));
        try {
            for (int i = 0; i < WARMUP + PODS; i++) {
                String name = "bench-" + i;
                String podName = name + "-" + run.node;
                Path file = manifests.resolve(name + ".yaml");
                Path tmp = manifests.resolve("." + name + ".yaml.tmp"); // dotfiles are not read
                floorOnce(i, floor);
                long t0 = System.nanoTime();
                long writtenAt = System.currentTimeMillis();
                Files.writeString(tmp, manifest(name));
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
                String uid = awaitRunning(run, podName);
                long t1 = System.nanoTime();
                long seenAt = System.currentTimeMillis();
                long r0 = System.nanoTime();
                seen[0] = cri.listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsCount();
                seen[1] = cri.listContainers(ListContainersRequest.getDefaultInstance()).getContainersCount();
                long r1 = System.nanoTime();
                if (i >= WARMUP) { // the warm-up pods also warm the in-process CRI list path
                    starts.add(Duration.ofNanos(t1 - t0));
                    samples.add(new Sample(podName, writtenAt, seenAt));
                    relists.add(Duration.ofNanos(r1 - r0));
                }
                Files.delete(file);
                awaitGone(run, podName, uid);
            }
        } finally {
            logs.close();
        }
        return new Results(starts, samples, relists, seen[0], seen[1]);
    }

    private String manifest(String name) {
        return """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                  namespace: %s
                spec:
                  shareProcessNamespace: true
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: sleep
                    image: %s
                    imagePullPolicy: IfNotPresent
                    command: ["sleep", "3600"]
                """.formatted(name, namespace, busybox);
    }

    /** Polls /pods until the pod's phase is Running; returns its uid. */
    private String awaitRunning(BenchSkiff run, String podName) throws Exception {
        long deadline = System.nanoTime() + POD_TIMEOUT.toNanos();
        String lastPhase = "absent";
        while (System.nanoTime() < deadline) {
            run.checkAlive();
            Optional<JsonNode> pod = findPod(run, podName);
            if (pod.isPresent()) {
                lastPhase = pod.get().path("status").path("phase").asText("<none>");
                if (lastPhase.equals("Running")) {
                    return pod.get().path("metadata").path("uid").asText();
                }
            }
            Thread.sleep(POLL.toMillis());
        }
        throw new BenchException("pod " + namespace + "/" + podName + " not Running within " + POD_TIMEOUT.toSeconds()
                + " s (last phase: " + lastPhase + ")");
    }

    /** Polls until the pod is gone from /pods and none of its containers runs any more. */
    private void awaitGone(BenchSkiff run, String podName, String uid) throws Exception {
        long deadline = System.nanoTime() + POD_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            run.checkAlive();
            if (findPod(run, podName).isEmpty() && docker.listContainersCmd()
                    .withLabelFilter(Map.of(KubeLabels.POD_UID, uid)).exec().isEmpty()) {
                return;
            }
            Thread.sleep(POLL.toMillis());
        }
        throw new BenchException("pod " + namespace + "/" + podName + " still present " + POD_TIMEOUT.toSeconds()
                + " s after its manifest was removed");
    }

    private Optional<JsonNode> findPod(BenchSkiff run, String podName) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(run.url("/pods")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new BenchException("/pods answered HTTP " + r.statusCode());
        }
        for (JsonNode p : JSON.readTree(r.body()).path("items")) {
            JsonNode meta = p.path("metadata");
            if (podName.equals(meta.path("name").asText()) && namespace.equals(meta.path("namespace").asText())) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private static void report(Floor floorResults, Results skiff) {
        List<Duration> floor = floorResults.total();
        double floorMedian = median(floor);
        double skiffMedian = median(skiff.start());
        double skiffP99 = p99(skiff.start());
        double ratio = skiffMedian / floorMedian;
        System.out.printf(Locale.ROOT, "  floor (Docker directly: create+start+inspect sandbox, create+start+inspect container):"
                + " median %4.0f ms  p99 %4.0f ms%n", floorMedian, p99(floor));
        System.out.printf(Locale.ROOT, "  skiff (manifest written -> Running at /pods, polled every %d ms):                  "
                + " median %4.0f ms  p99 %4.0f ms%n", POLL.toMillis(), skiffMedian, skiffP99);
        System.out.printf(Locale.ROOT, "  ratio skiff/floor (medians): %.2f   target <= %.2f: %s%n", ratio, TARGET_RATIO,
                ratio <= TARGET_RATIO ? "PASS" : "MISS");
        System.out.printf(Locale.ROOT, "  skiff p99: %.0f ms   target <= %d ms: %s%n", skiffP99, TARGET_P99.toMillis(),
                skiffP99 <= TARGET_P99.toMillis() ? "PASS" : "MISS");
        System.out.printf(Locale.ROOT, "  relist (CRI ListPodSandbox + ListContainers, %d sandboxes and %d containers on the host):"
                + " median %.1f ms  p99 %.1f ms%n", skiff.sandboxes(), skiff.containers(), median(skiff.relist()), p99(skiff.relist()));
    }

    /**
     * Where skiff's time goes, from its own log lines (best effort: skipped when the lines are not found):
     * manifest written → {@code PodConfig: ADD}, → {@code StatusManager: ... phase Running}, → seen at /pods.
     */
    private void breakdown(Floor floor, Results skiff, Path log) {
        Map<String, Long> added = new HashMap<>();
        Map<String, Long> running = new HashMap<>();
        try {
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                int sp = line.indexOf(' ');
                if (sp < 0) {
                    continue;
                }
                for (Sample sample : skiff.samples()) {
                    String ref = namespace + "/" + sample.podName() + " ";
                    if (!line.contains(ref)) {
                        continue;
                    }
                    long at;
                    try {
                        at = Instant.parse(line.substring(0, sp)).toEpochMilli();
                    } catch (DateTimeParseException e) {
                        continue;
                    }
                    if (line.contains("PodConfig: ADD pod " + ref)) {
                        added.putIfAbsent(sample.podName(), at);
                    } else if (line.contains("StatusManager: Pod " + ref) && line.endsWith("phase Running")) {
                        running.putIfAbsent(sample.podName(), at);
                    }
                }
            }
        } catch (IOException e) {
            return;
        }
        List<Duration> source = new ArrayList<>();
        List<Duration> sync = new ArrayList<>();
        List<Duration> report = new ArrayList<>();
        for (Sample sample : skiff.samples()) {
            Long add = added.get(sample.podName());
            Long run = running.get(sample.podName());
            if (add == null || run == null) {
                return;
            }
            source.add(Duration.ofMillis(add - sample.writtenAt()));
            sync.add(Duration.ofMillis(run - add));
            report.add(Duration.ofMillis(sample.seenRunningAt() - run));
        }
        System.out.printf(Locale.ROOT, "  skiff breakdown (medians, from its log): write -> source ADD %.0f ms, ADD -> status Running"
                + " %.0f ms, -> seen at /pods %.0f ms; floor: sandbox %.0f ms + container %.0f ms%n",
                median(source), median(sync), median(report), median(floor.sandbox()), median(floor.container()));
    }

    /** Median in milliseconds (mean of the two middle values for an even count). */
    static double median(List<Duration> samples) {
        List<Duration> s = samples.stream().sorted().toList();
        int n = s.size();
        return n % 2 == 1 ? ms(s.get(n / 2)) : (ms(s.get(n / 2 - 1)) + ms(s.get(n / 2))) / 2;
    }

    /** 99th percentile in milliseconds, nearest rank (the maximum for fewer than 100 samples). */
    static double p99(List<Duration> samples) {
        List<Duration> s = samples.stream().sorted().toList();
        int rank = (int) Math.ceil(0.99 * s.size());
        return ms(s.get(Math.max(rank, 1) - 1));
    }

    private static double ms(Duration d) {
        return d.toNanos() / 1e6;
    }

}
