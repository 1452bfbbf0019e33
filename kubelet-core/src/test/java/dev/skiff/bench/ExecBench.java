package dev.skiff.bench;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import dev.skiff.cri.docker.KubeLabels;
import dev.skiff.cri.testing.TestDocker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import static dev.skiff.bench.PodStartBench.median;
import static dev.skiff.bench.PodStartBench.p99;

/**
 * {@code make bench}, exec: the round trip of {@code skiff exec POD -- true} beside {@code docker exec CONTAINER true}
 * on the same container, both as the command-line processes an operator runs, samples alternating (target: ratio of
 * medians ≤ 1.3). Where the time goes: the {@code skiff} CLI's start alone ({@code skiff --version}), and the
 * kubelet's {@code /exec} over WebSocket {@code v5.channel.k8s.io} from an in-process client beside Docker's exec API
 * (create, start attached, inspect) from an in-process client. Prints PASS/MISS, exits 0 either way; 1 only when it
 * cannot measure.
 */
public final class ExecBench implements BenchMain.Bench {
    private static final int SAMPLES = Integer.getInteger("bench.exec.samples", 30);
    private static final int WARMUP = Integer.getInteger("bench.exec.warmup", 3);
    private static final double TARGET_RATIO = 1.3;
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POD_TIMEOUT = Duration.ofSeconds(90);
    private static final String CONTAINER = "sleep";

    private final DockerClient docker;
    private final String busybox;
    private final String namespace = TestDocker.newNamespace("exec");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private ExecBench(DockerClient docker, String busybox) {
        this.docker = docker;
        this.busybox = busybox;
    }

    public static void main(String[] args) throws Exception {
        BenchMain.run(s -> new ExecBench(s.docker(), s.busybox()));
    }

    @Override
    public String namespace() {
        return namespace;
    }

    /** The four ways of running {@code true}, sample by sample. */
    private record Samples(List<Duration> dockerCli, List<Duration> skiffCli, List<Duration> dockerApi,
                           List<Duration> kubeletWebSocket) {
        Samples() {
            this(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        }
    }

    @Override
    public int run(Path skiff) throws Exception {
        System.out.printf(Locale.ROOT, "exec bench: %d round trips of `true` each way (after %d warm-up) in one busybox"
                + " container; namespace %s%n", SAMPLES, WARMUP, namespace);
        Path base = Files.createTempDirectory("skiff-exec-");
        BenchSkiff run = null;
        try {
            run = BenchSkiff.start(skiff, base, "--address", "127.0.0.1");
            run.awaitHealthy();
            BenchSkiff.writeManifest(base.resolve("manifests"), "exec.yaml", BenchSkiff.sleepPod("exec", namespace, busybox, ""));
            run.awaitRunning(http, namespace, 1, POD_TIMEOUT);
            String pod = "exec-" + run.node;
            String containerId = containerId();
            HttpClient https = BenchSkiff.httpsClient(run.certDir().resolve("kubelet.crt"));
            String token = adminToken(run.certDir().resolve("admin.token"));

            List<String> dockerCli = List.of("docker", "exec", containerId, "true");
            List<String> skiffCli = new ArrayList<>(List.of(skiff.toString(), "exec"));
            skiffCli.addAll(run.securePortArgs());
            skiffCli.addAll(List.of("-n", namespace, pod, "-c", CONTAINER, "--", "true"));
            URI exec = URI.create("wss://127.0.0.1:" + run.securePort + "/exec/" + namespace + "/" + pod + "/" + CONTAINER
                    + "?command=true&output=1&error=1");

            Samples samples = new Samples();
            for (int i = 0; i < WARMUP + SAMPLES; i++) {
                Duration d1 = BenchProcess.run(dockerCli, CALL_TIMEOUT).requireSuccess("docker exec").took();
                Duration d2 = BenchProcess.run(skiffCli, CALL_TIMEOUT).requireSuccess("skiff exec").took();
                Duration d3 = dockerApiExec(containerId);
                Duration d4 = kubeletExec(https, token, exec);
                if (i >= WARMUP) {
                    samples.dockerCli().add(d1);
                    samples.skiffCli().add(d2);
                    samples.dockerApi().add(d3);
                    samples.kubeletWebSocket().add(d4);
                }
            }
            List<Duration> cliStart = new ArrayList<>();
            for (int i = 0; i < Math.min(SAMPLES, 10); i++) {
                cliStart.add(BenchProcess.run(List.of(skiff.toString(), "--version"), CALL_TIMEOUT).requireSuccess("skiff --version").took());
            }
            report(samples, cliStart);
            System.out.println("  skiff's log: " + run.log);
            return 0;
        } catch (BenchException e) {
            return BenchMain.cannotMeasure(e, run);
        } finally {
            BenchSkiff.removeAll(run, base, http, namespace, POD_TIMEOUT);
        }
    }

    /** The local admin token the kubelet writes for the CLI (and this bench's in-process client). */
    private static String adminToken(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new BenchException("no admin token at " + file + ": this kubelet does not write one for the CLI");
        }
        return Files.readString(file).strip();
    }

    private String containerId() {
        List<Container> found = docker.listContainersCmd()
                .withLabelFilter(Map.of(KubeLabels.POD_NAMESPACE, namespace, KubeLabels.CONTAINER_NAME, CONTAINER)).exec();
        if (found.size() != 1) {
            throw new BenchException(found.size() + " running containers named " + CONTAINER + " in " + namespace + ", not 1");
        }
        return found.get(0).getId();
    }

    /** Docker's exec API from this process: create, start attached until the output ends, inspect the exit code. */
    private Duration dockerApiExec(String containerId) throws InterruptedException {
        long t0 = System.nanoTime();
        String execId = docker.execCreateCmd(containerId).withCmd("true").withAttachStdout(true).withAttachStderr(true)
                .exec().getId();
        ResultCallback.Adapter<Frame> done = docker.execStartCmd(execId).exec(new ResultCallback.Adapter<>());
        if (!done.awaitCompletion(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            throw new BenchException("docker exec API: `true` still running after " + CALL_TIMEOUT.toSeconds() + " s");
        }
        Long exit = docker.inspectExecCmd(execId).exec().getExitCodeLong();
        long t1 = System.nanoTime();
        if (exit == null || exit != 0) {
            throw new BenchException("docker exec API: `true` exited " + exit);
        }
        return Duration.ofNanos(t1 - t0);
    }

    /**
     * The kubelet's /exec over WebSocket v5 (kubectl ≥ 1.30's protocol) from this process: upgrade, then frames
     * until the server closes; the error channel (3) must carry a Success status.
     */
    private static Duration kubeletExec(HttpClient https, String token, URI exec) throws Exception {
        long t0 = System.nanoTime();
        ChannelCollector collector = new ChannelCollector();
        WebSocket ws = https.newWebSocketBuilder().header("Authorization", "Bearer " + token)
                .subprotocols("v5.channel.k8s.io", "v4.channel.k8s.io").connectTimeout(Duration.ofSeconds(10))
                .buildAsync(exec, collector).get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        String status;
        try {
            status = collector.closed.get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } finally {
            ws.abort();
        }
        long t1 = System.nanoTime();
        if (!status.contains("\"status\":\"Success\"")) {
            throw new BenchException("kubelet /exec of `true`: error channel said " + (status.isEmpty() ? "nothing" : status));
        }
        return Duration.ofNanos(t1 - t0);
    }

    /** Gathers the error channel's bytes of a channel-prefixed WebSocket session; completes when the server closes. */
    private static final class ChannelCollector implements WebSocket.Listener {
        private static final byte ERROR_CHANNEL = 3;
        final CompletableFuture<String> closed = new CompletableFuture<>();
        private final ByteArrayOutputStream message = new ByteArrayOutputStream();
        private final ByteArrayOutputStream error = new ByteArrayOutputStream();

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            message.writeBytes(bytes);
            if (last) {
                byte[] m = message.toByteArray();
                message.reset();
                if (m.length > 0 && m[0] == ERROR_CHANNEL) {
                    error.write(m, 1, m.length - 1);
                }
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closed.complete(error.toString(StandardCharsets.UTF_8));
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable e) {
            closed.completeExceptionally(e);
        }
    }

    private static void report(Samples s, List<Duration> cliStart) {
        double docker = median(s.dockerCli());
        double skiff = median(s.skiffCli());
        double ratio = skiff / docker;
        System.out.printf(Locale.ROOT, "  docker exec CONTAINER true (the docker CLI):     median %6.1f ms  p99 %6.1f ms%n",
                docker, p99(s.dockerCli()));
        System.out.printf(Locale.ROOT, "  skiff exec POD -- true (the skiff CLI):          median %6.1f ms  p99 %6.1f ms%n",
                skiff, p99(s.skiffCli()));
        System.out.printf(Locale.ROOT, "  ratio skiff/docker (medians): %.2f   target <= %.2f: %s%n", ratio, TARGET_RATIO,
                ratio <= TARGET_RATIO ? "PASS" : "MISS");
        double api = median(s.dockerApi());
        double kubelet = median(s.kubeletWebSocket());
        System.out.printf(Locale.ROOT, "  where it goes: skiff CLI start alone (skiff --version) median %.1f ms; in-process"
                + " clients: kubelet /exec over WebSocket v5 median %.1f ms (p99 %.1f) beside Docker's exec API"
                + " (create, start, inspect) median %.1f ms (p99 %.1f): %.2fx%n",
                median(cliStart), kubelet, p99(s.kubeletWebSocket()), api, p99(s.dockerApi()), kubelet / api);
    }
}
