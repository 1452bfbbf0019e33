package dev.skiff.kubelet.it;

import dev.skiff.cri.docker.DockerCriRuntime;
import dev.skiff.cri.docker.DockerShimConfig;
import dev.skiff.kubelet.logs.ContainerLogFiles;
import dev.skiff.kubelet.logs.ContainerLogs;
import dev.skiff.kubelet.logs.LogRequest;
import dev.skiff.kubelet.server.Endpoint;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Container logs of real pods of a running Skiff: what {@code /containerLogs} serves ({@link ContainerLogs} over the
 * kubelet's own {@code /pods} and the Docker CRI runtime), and {@code skiff logs} run as a process.
 */
class ContainerLogsIT extends KubeletItSupport {
    private DockerCriRuntime cri;
    private ContainerLogs logs;

    @Override
    String[] kubeletArgs() {
        return new String[] {"--container-log-max-size=8Ki", "--container-log-max-files=3"};
    }

    @BeforeEach
    void connect() {
        // a second shim on the same Docker: it waits on the running Skiff's log copiers instead of copying beside them
        cri = DockerCriRuntime.connect(new DockerShimConfig(null, null));
        logs = new ContainerLogs(() -> kubelet.pods().getItems(), cri.runtime(), Clock.systemUTC());
    }

    @AfterEach
    void disconnect() {
        if (cri != null) {
            cri.close();
        }
    }

    @Test
    void eachQueryParameterAndTheErrors() throws Exception {
        kubelet.writeManifest("talker.yaml", podYaml("talker", "",
                container("talk", "i=0; while [ $i -lt 20 ]; do echo line-$i; i=$((i+1)); done; sleep 1; echo oops >&2; sleep 3600")));
        awaitRunning("talker");
        String pod = kubelet.podName("talker");
        String all = lines(0, 20) + "oops\n";
        awaitTrue("the whole log copied", Duration.ofSeconds(60), () -> all.equals(quietly(pod, "talk", Map.of())),
                () -> quietly(pod, "talk", Map.of()));

        assertEquals("line-18\nline-19\noops\n", read(pod, "talk", Map.of("tailLines", "3")));
        assertEquals("line-19\noops\n", read(pod, "talk", Map.of("tail", "2")));
        assertEquals("line-0\nline-1\nli", read(pod, "talk", Map.of("limitBytes", "16")));
        assertEquals("", read(pod, "talk", Map.of("sinceTime", Instant.now().plusSeconds(3600).toString())));
        assertEquals(all, read(pod, "talk", Map.of("sinceSeconds", "3600")));
        String stamped = read(pod, "talk", Map.of("timestamps", "true", "tailLines", "2"));
        assertTrue(stamped.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{1,9})?Z line-19\n"
                + "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{1,9})?Z oops\n"), stamped);

        assertEquals("Invalid request: Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified",
                assertThrows(Endpoint.BadRequestException.class, () -> read(pod, "talk",
                        Map.of("sinceSeconds", "5", "sinceTime", "2024-01-02T15:04:05Z"))).getMessage());
        assertEquals("Unable to decode query: tailLines: \"x\" is not an integer",
                assertThrows(Endpoint.BadRequestException.class, () -> read(pod, "talk", Map.of("tailLines", "x"))).getMessage());
        assertEquals("previous terminated container \"talk\" in pod \"" + pod + "\" not found",
                assertThrows(Endpoint.BadRequestException.class, () -> read(pod, "talk", Map.of("previous", "true"))).getMessage());
        assertEquals("pod \"nope\" does not exist",
                assertThrows(Endpoint.NotFoundException.class, () -> read("nope", "talk", Map.of())).getMessage());
        assertEquals("container \"nope\" not found in pod \"" + pod + "\"",
                assertThrows(Endpoint.NotFoundException.class, () -> read(pod, "nope", Map.of())).getMessage());

        // skiff logs, as an operator on the node runs it (the static pod also by its manifest name)
        assertEquals(all, skiffLogs("talker"));
        assertEquals("line-19\noops\n", skiffLogs(pod, "--tail", "2"));
        assertEquals(all, skiffLogs("talker", "-c", "talk", "--since", "1h"));
        assertTrue(skiffLogs("talker", "--timestamps", "--tail", "1").matches("\\S+Z oops\n"));
        Result missing = skiffLogsResult("talker", "-c", "nope");
        assertEquals(1, missing.exit());
        assertTrue(missing.output().contains("container \"nope\" not found in pod \"" + pod + "\""), missing.output());
    }

    @Test
    void aPodWithSeveralContainersNeedsOneNamedAndInitContainersHaveLogs() throws Exception {
        kubelet.writeManifest("duo.yaml", podYaml("duo", "  initContainers:\n" + container("setup", "echo set up"),
                container("a", "echo from-a; sleep 3600"), container("b", "echo from-b; sleep 3600")));
        awaitRunning("duo");
        String pod = kubelet.podName("duo");
        awaitTrue("b's line copied", Duration.ofSeconds(60), () -> "from-b\n".equals(quietly(pod, "b", Map.of())),
                () -> quietly(pod, "b", Map.of()));
        assertEquals("set up\n", read(pod, "setup", Map.of()));
        assertEquals("from-a\n", skiffLogs("duo", "-c", "a"));
        Result unnamed = skiffLogsResult("duo");
        assertEquals(1, unnamed.exit());
        assertTrue(unnamed.output().contains("a container name must be specified for pod " + pod + ", choose one of: [a b]"),
                unnamed.output());
    }

    @Test
    void previousAfterARestartAndFollowEndsWhenTheContainerExits() throws Exception {
        kubelet.writeManifest("cycler.yaml", podYaml("cycler", "",
                container("cycle", "echo start-$(cat /proc/sys/kernel/random/uuid); sleep 4; echo bye; exit 1")));
        Pod restarted = kubelet.awaitPod("cycler", p -> allRunning(p) && status(p, "cycle").getRestartCount() >= 1,
                RUNNING_TIMEOUT, "running again after a restart");
        String pod = restarted.getMetadata().getName();
        String previous = read(pod, "cycle", Map.of("previous", "true"));
        assertTrue(previous.matches("start-\\S+\nbye\n"), previous);
        Path dir = kubelet.podLogsDir().resolve(ns + "_" + pod + "_" + uid(restarted)).resolve("cycle");
        assertEquals(previous, skiffLogs("cycler", "--previous"), () -> dump(dir) + kubelet.toJson(kubelet.pod("cycler")));

        // follow the running instance: it sees the lines to come and ends when the container exits
        CompletableFuture<Result> cliFollow = CompletableFuture.supplyAsync(() -> {
            try {
                return skiffLogsResult("cycler", "-f");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CompletableFuture<Void> follow = CompletableFuture.runAsync(() -> {
            try {
                logs.write(LogRequest.of(ns, pod, "cycle", Map.of("follow", "true")), synced(out));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        follow.get(60, TimeUnit.SECONDS);
        String current = text(out);
        assertTrue(current.matches("start-\\S+\nbye\n"), current);
        assertNotEquals(previous, current, "another instance");
        Result followed = cliFollow.get(60, TimeUnit.SECONDS);
        assertEquals(new Result(0, current), followed, "skiff logs -f ends with the container too");
    }

    @Test
    void aLogAcrossRotationsWithGzippedFiles() throws Exception {
        kubelet.writeManifest("chatty.yaml", podYaml("chatty", "",
                container("chat", "i=0; while true; do j=0; while [ $j -lt 20 ]; do echo \"seq-$i padding-padding-padding\"; "
                        + "i=$((i+1)); j=$((j+1)); done; sleep 0.1; done")));
        Pod pod = awaitRunning("chatty");
        Path dir = kubelet.podLogsDir().resolve(ns + "_" + pod.getMetadata().getName() + "_" + uid(pod)).resolve("chat");
        awaitTrue("two rotated files, one gzipped", Duration.ofSeconds(90), () -> {
            List<Path> now = rotated(dir);
            return now.size() == 2 && now.get(0).getFileName().toString().endsWith(".gz");
        }, () -> rotated(dir).toString());

        String text = read(pod.getMetadata().getName(), "chat", Map.of());
        List<String> got = Arrays.stream(text.split("\n")).map(l -> l.split(" ")[0]).toList();
        int first = Integer.parseInt(got.get(0).substring(4));
        List<String> expected = new ArrayList<>();
        for (int i = first; i < first + got.size(); i++) {
            expected.add("seq-" + i);
        }
        assertEquals(expected, got, () -> "contiguous over " + rotated(dir) + " and the current file\n" + perFile(dir)
                + kubelet.logTail());
        assertTrue(got.size() > 8 * 1024 / 40, "more than the current file holds: " + got.size());

        String tail = skiffLogs("chatty", "--tail", "3");
        assertEquals(3, tail.split("\n").length, tail);
    }

    // ---- helpers ----

    private String read(String pod, String container, Map<String, String> query) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        logs.write(LogRequest.of(ns, pod, container, new HashMap<>(query)), out);
        return out.toString(StandardCharsets.UTF_8);
    }

    private String quietly(String pod, String container, Map<String, String> query) {
        try {
            return read(pod, container, query);
        } catch (Exception e) {
            return e.toString();
        }
    }

    /** Per file of the log directory: its first and last seq and the seqs it holds twice. */
    private static String perFile(Path dir) {
        StringBuilder b = new StringBuilder();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.sorted().toList()) {
                byte[] raw = Files.readAllBytes(p);
                if (p.toString().endsWith(".gz")) {
                    raw = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(raw)).readAllBytes();
                }
                List<String> seqs = new String(raw, StandardCharsets.UTF_8).lines().map(l -> l.split(" ")[3]).toList();
                java.util.Set<String> seen = new java.util.HashSet<>();
                List<String> twice = seqs.stream().filter(x -> !seen.add(x)).toList();
                b.append(p.getFileName()).append(": ").append(seqs.isEmpty() ? "-" : seqs.get(0) + ".." + seqs.get(seqs.size() - 1))
                        .append(" twice ").append(twice).append('\n');
            }
        } catch (IOException | RuntimeException e) {
            b.append(e);
        }
        return b.toString();
    }

    /** The files of a log directory with their contents, for a failure message. */
    private static String dump(Path dir) {
        StringBuilder b = new StringBuilder();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.sorted().toList()) {
                b.append("== ").append(p.getFileName()).append('\n').append(Files.readString(p));
            }
        } catch (IOException e) {
            b.append(e);
        }
        return b.toString();
    }

    private static List<Path> rotated(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            Path current = files.filter(p -> p.getFileName().toString().matches("\\d+\\.log")).findFirst().orElseThrow();
            return ContainerLogFiles.rotated(current);
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    private static String lines(int from, int to) {
        StringBuilder b = new StringBuilder();
        for (int i = from; i < to; i++) {
            b.append("line-").append(i).append('\n');
        }
        return b.toString();
    }

    private static OutputStream synced(ByteArrayOutputStream out) {
        return new OutputStream() {
            @Override
            public void write(int b) {
                synchronized (out) {
                    out.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                synchronized (out) {
                    out.write(b, off, len);
                }
            }
        };
    }

    private static String text(ByteArrayOutputStream out) {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    private record Result(int exit, String output) {}

    private String skiffLogs(String... args) throws Exception {
        Result r = skiffLogsResult(args);
        assertEquals(0, r.exit(), r.output());
        return r.output();
    }

    /** {@code skiff logs ARGS -n NS} against this kubelet, as root on the node; stdout and stderr together. */
    private Result skiffLogsResult(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(SkiffKubelet.LAUNCHER.toString(), "logs"));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("-n", ns, "--read-only-port", Integer.toString(kubelet.readOnlyPort()),
                "--pod-logs-dir", kubelet.podLogsDir().toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("skiff logs " + String.join(" ", args) + " did not finish: " + out);
        }
        return new Result(p.exitValue(), out);
    }
}
