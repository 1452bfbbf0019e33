package dev.skiff.kubelet.it;

import dev.skiff.cri.testing.PrivateContainerd;
import dev.skiff.cri.v1.ListPodSandboxRequest;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.RemovePodSandboxRequest;
import dev.skiff.cri.v1.StopPodSandboxRequest;
import dev.skiff.streamclient.ExecResult;
import dev.skiff.streamclient.ExecSession;
import dev.skiff.streamclient.StreamClient;
import dev.skiff.streamclient.StreamOptions;
import dev.skiff.streamclient.Transport;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kubelet's streaming endpoints against a real containerd 1.6 (someone else's CRI streaming server): {@code /exec}
 * proxied to containerd's URL and driven by {@code skiff exec} (WebSocket; containerd chooses v4.channel.k8s.io),
 * with and without a terminal (through {@code script}, a real pseudo-terminal), {@code /portForward} driven by
 * {@code skiff port-forward} (SPDY), the shared stream client over SPDY and WebSocket, 200 sessions that leave nothing
 * behind, {@code /run}, and the refusals:
 * 401, 403, unknown pod or container, missing streams, a request that is no upgrade. Pods use the host network: this
 * containerd has no CNI plugin configured.
 */
class StreamingEndpointsIT extends StreamingItSupport {
    private static final String VIEWER_TOKEN = "viewer-" + UUID.randomUUID();
    @TempDir
    static Path dir;
    private static PrivateContainerd containerd;
    private static Path tokens;

    @BeforeAll
    static void startContainerd() throws Exception {
        containerd = PrivateContainerd.start(Files.createDirectories(dir.resolve("containerd")));
        containerd.importTestImages();
        tokens = dir.resolve("tokens.csv");
        Files.writeString(tokens, VIEWER_TOKEN + ",viewer,1002,viewers\n");
    }

    @AfterAll
    static void stopContainerd() throws Exception {
        if (containerd != null) {
            containerd.close();
        }
    }

    @AfterEach
    void removePods() throws Exception {
        kubelet.killProcess(); // first, or it makes them again
        var cri = containerd.cri().runtime();
        for (PodSandbox p : cri.listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList()) {
            cri.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(p.getId()).build());
            cri.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(p.getId()).build());
        }
    }

    @Override
    String[] kubeletArgs() {
        return new String[]{"--container-runtime-endpoint", "unix://" + containerd.socket(), "--address", "127.0.0.1",
                "--token-auth-file", tokens.toString()};
    }

    @Override
    String podSpecExtra() {
        return "  hostNetwork: true\n";
    }

    // ---- skiff exec ----

    @Test
    void execPassesOutputAndTheExitCodeThrough() throws Exception {
        Pod pod = runningPod("exec", "exec sleep 3600");
        Cli r = skiffCli(null, "exec", "-n", ns, pod.getMetadata().getName(), "--", "sh", "-c",
                "echo out-$((1+1)); echo err >&2; exit 3");
        assertEquals(3, r.exit, r.toString());
        assertEquals("out-2\n", r.stdout, r.toString());
        assertTrue(r.stderr.contains("err\n"), r.toString());
        assertTrue(r.stderr.contains("command terminated with exit code 3"), r.toString());

        Cli ok = skiffCli(null, "exec", "-n", ns, "exec", "--", "true"); // the static pod's name without its node
        assertEquals(0, ok.exit, ok.toString());
        assertEquals("", ok.stderr, ok.toString());
    }

    @Test
    void execWithATerminalGetsItsSizeAndRawInput() throws Exception {
        execWithATerminal(runningPod("tty", "exec sleep 3600"));
    }

    @Test
    void execOfAContainerOrPodThatIsNotThereSaysSo() throws Exception {
        Pod pod = runningPod("missing", "exec sleep 3600");
        Cli noPod = skiffCli(null, "exec", "-n", ns, "nope", "--", "true");
        assertEquals(1, noPod.exit, noPod.toString());
        assertTrue(noPod.stderr.contains("pods \"nope\" not found in namespace \"" + ns + "\""), noPod.toString());
        Cli noContainer = skiffCli(null, "exec", "-n", ns, pod.getMetadata().getName(), "-c", "nope", "--", "true");
        assertEquals(1, noContainer.exit, noContainer.toString());
        assertTrue(noContainer.stderr.contains("container nope not found in pod"), noContainer.toString());
        Cli noToken = skiffCli(null, "exec", "-n", ns, pod.getMetadata().getName(), "--token-file", "/nonexistent", "--", "true");
        assertEquals(1, noToken.exit, noToken.toString());
        assertTrue(noToken.stderr.contains("no token file /nonexistent"), noToken.toString());
    }

    // ---- skiff attach ----

    @Test
    void attachShowsWhatTheContainerPrintsNow() throws Exception {
        Pod pod = runningPod("counter", "i=0; while true; do echo count-$i; i=$((i+1)); sleep 1; done");
        List<String> cmd = new ArrayList<>(List.of(launcher(), "attach", "-n", ns, pod.getMetadata().getName()));
        cmd.addAll(endpointArgs());
        Path err = Files.createTempFile(dir, "attach-err-", ".txt");
        Process attach = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        try {
            java.io.BufferedReader lines = new java.io.BufferedReader(new java.io.InputStreamReader(attach.getInputStream(),
                    StandardCharsets.UTF_8));
            String first = lines.readLine();
            String second = lines.readLine();
            assertTrue(first != null && second != null, "attach ended: " + first + " " + second + "\n" + readQuietly(err));
            int n = Integer.parseInt(first.substring("count-".length()));
            assertEquals("count-" + (n + 1), second);
            assertTrue(kubelet.log().contains("attach to pod " + ns + "/" + pod.getMetadata().getName() + " uid " + uid(pod)
                    + " container app: session started"), kubelet.logTail());
            assertTrue(attach.isAlive(), readQuietly(err));
        } finally {
            attach.destroy();
            attach.waitFor(10, TimeUnit.SECONDS);
        }
    }

    // ---- skiff port-forward ----

    @Test
    void portForwardCarriesTwoConcurrentDownloadsIntactAndReportsAPortNothingListensOn() throws Exception {
        int port = 20000 + new java.util.Random().nextInt(20000);
        Pod pod = runningPod("web", "mkdir -p /www && echo hello-web > /www/index.html"
                + " && dd if=/dev/urandom of=/www/big bs=1048576 count=10 2>/dev/null"
                + " && exec httpd -f -p 127.0.0.1:" + port + " -h /www");
        HttpResponse<String> summed = send(adminToken(), "POST", "/run/" + ns + "/" + pod.getMetadata().getName()
                + "/app?cmd=sha256sum%20/www/big");
        assertEquals(200, summed.statusCode(), summed.body());
        String sum = summed.body().split(" ")[0];
        List<String> cmd = new ArrayList<>(List.of(launcher(), "port-forward", "-n", ns, pod.getMetadata().getName(),
                ":" + port, ":1"));
        cmd.addAll(endpointArgs());
        Path err = Files.createTempFile(dir, "pf-err-", ".txt");
        Process pf = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        try {
            java.io.BufferedReader lines = new java.io.BufferedReader(new java.io.InputStreamReader(pf.getInputStream(),
                    StandardCharsets.UTF_8));
            int[] local = new int[2];
            for (int i = 0; i < 2; i++) {
                String line = lines.readLine();
                if (line == null) {
                    throw new AssertionError("port-forward ended: " + Files.readString(err));
                }
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("Forwarding from 127\\.0\\.0\\.1:(\\d+) -> (\\d+)")
                        .matcher(line);
                assertTrue(m.matches(), line);
                local[Integer.parseInt(m.group(2)) == port ? 0 : 1] = Integer.parseInt(m.group(1));
            }
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            URI big = URI.create("http://127.0.0.1:" + local[0] + "/big");
            var first = http.sendAsync(HttpRequest.newBuilder(big).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            var second = http.sendAsync(HttpRequest.newBuilder(big).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            for (var r : List.of(first.get(90, TimeUnit.SECONDS), second.get(90, TimeUnit.SECONDS))) {
                assertEquals(200, r.statusCode());
                assertEquals(10 << 20, r.body().length);
                assertEquals(sum, java.util.HexFormat.of().formatHex(
                        java.security.MessageDigest.getInstance("SHA-256").digest(r.body())));
            }
            // nothing listens on the pod's port 1: that connection is closed with the runtime's error, the session stays
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", local[1])) {
                s.setSoTimeout(30_000);
                assertEquals(-1, s.getInputStream().read());
            }
            awaitTrue("port-forward reports the refused connection", Duration.ofSeconds(30),
                    () -> readQuietly(err).contains("an error occurred forwarding " + local[1] + " -> 1: "), () -> readQuietly(err));
            HttpResponse<String> again = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + local[0] + "/"))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals("hello-web\n", again.body());
            assertTrue(pf.isAlive(), readQuietly(err));
        } finally {
            pf.destroy();
            pf.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    // ---- the proxy itself ----

    @Test
    void theSharedStreamClientExecsThroughTheKubeletOverSpdyAndWebSocket() throws Exception {
        Pod pod = runningPod("client", "exec sleep 3600");
        String base = "/exec/" + ns + "/" + pod.getMetadata().getName() + "/app?";
        String at = secureUrl("");
        // SPDY: stdin piped and its end passed on (a half-close), so cat ends
        StreamOptions spdy = StreamOptions.defaults().withStdin(true).withAccess(adminAccess());
        try (ExecSession s = StreamClient.exec(URI.create(at + base + "command=cat&input=1&output=1&error=1"), spdy)) {
            s.stdin().write("hello through the kubelet\n".getBytes(StandardCharsets.UTF_8));
            s.closeStdin();
            ExecResult r = s.collect(Duration.ofSeconds(60));
            assertEquals("hello through the kubelet\n", r.stdout());
            assertTrue(r.status().success(), r.status().raw());
        }
        try (ExecSession s = StreamClient.exec(URI.create(at + base
                + "command=sh&command=-c&command=echo%20oops%20%3E%262%3B%20exit%203&output=1&error=1"),
                StreamOptions.defaults().withAccess(adminAccess()))) {
            ExecResult r = s.collect(Duration.ofSeconds(60));
            assertEquals("oops\n", r.stderr());
            assertEquals(Integer.valueOf(3), r.status().exitCode(), r.status().raw());
        }
        // WebSocket: containerd 1.6 chooses v4 of the v5 and v4 offered
        StreamOptions ws = StreamOptions.defaults().withTransport(Transport.WEBSOCKET).withAccess(adminAccess());
        try (ExecSession s = StreamClient.exec(URI.create(at + base + "command=echo&command=ws&output=1&error=1"), ws)) {
            assertEquals("v4.channel.k8s.io", s.protocol());
            ExecResult r = s.collect(Duration.ofSeconds(60));
            assertEquals("ws\n", r.stdout());
            assertTrue(r.status().success(), r.status().raw());
        }
    }

    @Test
    void twoHundredSessionsAndDisconnectsMidStreamLeaveNoThreadsOrSocketsBehind() throws Exception {
        Pod pod = runningPod("many", "exec sleep 3600");
        String exec = "/exec/" + ns + "/" + pod.getMetadata().getName() + "/app?command=echo&command=ok&output=1&error=1";
        String sleep = "/exec/" + ns + "/" + pod.getMetadata().getName() + "/app?command=sleep&command=300&output=1";
        long pid = kubelet.process().pid();
        for (int i = 0; i < 5; i++) {
            assertEquals("ok\n", RawWebSocket.open(tls(), kubelet.securePort(), exec, adminToken()).readToEnd().stdout());
        }
        long fds = count(Path.of("/proc/" + pid + "/fd"));
        long threads = count(Path.of("/proc/" + pid + "/task"));
        for (int i = 0; i < 200; i++) {
            if (i % 20 == 0) {
                // a client that goes away while the command runs: the proxy closes its side to the runtime too
                RawWebSocket.open(tls(), kubelet.securePort(), sleep, adminToken()).close();
                continue;
            }
            RawWebSocket.Result r = RawWebSocket.open(tls(), kubelet.securePort(), exec, adminToken()).readToEnd();
            assertEquals("ok\n", r.stdout(), "session " + i);
            assertTrue(r.error().contains("\"status\":\"Success\""), r.error());
        }
        awaitTrue("the kubelet's file descriptors and threads back to where they were (" + fds + ", " + threads + ")",
                Duration.ofSeconds(60), () -> count(Path.of("/proc/" + pid + "/fd")) <= fds + 5
                        && count(Path.of("/proc/" + pid + "/task")) <= threads + 4,
                () -> count(Path.of("/proc/" + pid + "/fd")) + " fds, " + count(Path.of("/proc/" + pid + "/task")) + " threads");
    }

    // ---- the endpoints themselves ----

    @Test
    void runAnswersTheOutputOfTheCommand() throws Exception {
        Pod pod = runningPod("run", "exec sleep 3600");
        String base = "/run/" + ns + "/" + pod.getMetadata().getName() + "/app";
        HttpResponse<String> r = send(adminToken(), "POST", base + "?cmd=echo%20hello%20there");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("hello there\n", r.body());
        HttpResponse<String> failed = send(adminToken(), "POST", base + "?cmd=false");
        assertEquals(500, failed.statusCode(), failed.body());
        assertEquals("command 'false' exited with 1: ", failed.body());
        HttpResponse<String> withUid = send(adminToken(), "POST", "/run/" + ns + "/" + pod.getMetadata().getName() + "/"
                + uid(pod) + "/app?cmd=echo%20uid");
        assertEquals(200, withUid.statusCode(), withUid.body());
        assertEquals(405, send(adminToken(), "GET", base + "?cmd=true").statusCode());
    }

    @Test
    void refusalsComeBeforeTheRuntimeIsAsked() throws Exception {
        Pod pod = runningPod("refuse", "exec sleep 3600");
        String exec = "/exec/" + ns + "/" + pod.getMetadata().getName() + "/app?command=true&output=1";
        assertEquals(401, send(null, "GET", exec).statusCode());
        assertEquals(401, send("wrong-" + UUID.randomUUID(), "GET", exec).statusCode());
        HttpResponse<String> viewer = send(VIEWER_TOKEN, "GET", exec);
        assertEquals(403, viewer.statusCode(), viewer.body());
        assertEquals("Forbidden (user=viewer, verb=get, resource=nodes, subresource(s)=[proxy])\n", viewer.body());
        HttpResponse<String> postViewer = send(VIEWER_TOKEN, "POST", "/portForward/" + ns + "/" + pod.getMetadata().getName());
        assertEquals(403, postViewer.statusCode(), postViewer.body());
        assertTrue(postViewer.body().contains("verb=create"), postViewer.body());

        HttpResponse<String> noPod = send(adminToken(), "GET", "/exec/" + ns + "/nope/app?command=true&output=1");
        assertEquals(404, noPod.statusCode(), noPod.body());
        assertEquals("pod does not exist\n", noPod.body());
        HttpResponse<String> noContainer = send(adminToken(), "GET", "/exec/" + ns + "/" + pod.getMetadata().getName()
                + "/nope?command=true&output=1");
        assertEquals(404, noContainer.statusCode(), noContainer.body());
        assertEquals("container not found (\"nope\")\n", noContainer.body());
        HttpResponse<String> noStreams = send(adminToken(), "GET", "/exec/" + ns + "/" + pod.getMetadata().getName()
                + "/app?command=true");
        assertEquals(400, noStreams.statusCode(), noStreams.body());
        assertEquals("you must specify at least 1 of stdin, stdout, stderr\n", noStreams.body());
        HttpResponse<String> notUpgrade = send(adminToken(), "GET", exec);
        assertEquals(400, notUpgrade.statusCode(), notUpgrade.body());
        assertEquals("Upgrade request required\n", notUpgrade.body());
        HttpResponse<String> badPort = send(adminToken(), "GET", "/portForward/" + ns + "/" + pod.getMetadata().getName()
                + "/not-" + uid(pod));
        assertEquals(404, badPort.statusCode(), badPort.body());
        // the streaming routes are the secure port's only
        HttpResponse<String> readOnly = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + kubelet.readOnlyPort() + exec)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, readOnly.statusCode(), readOnly.body());
    }

    // ---- helpers ----

    private record Cli(int exit, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout:\n" + stdout + "\n--- stderr:\n" + stderr;
        }
    }

    /** {@code skiff ARGS --server … --cert-dir …} with {@code stdin} (or none); waits up to a minute. */
    private Cli skiffCli(String stdin, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(launcher()));
        List<String> a = new ArrayList<>(List.of(args));
        int dashes = a.indexOf("--");
        a.addAll(dashes < 0 ? a.size() : dashes, endpointArgs());
        cmd.addAll(a);
        Path err = Files.createTempFile(dir, "cli-err-", ".txt");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String out = readAll(p.getInputStream(), p);
        return new Cli(p.exitValue(), out, Files.readString(err));
    }

    private HttpResponse<String> send(String token, String method, String path) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + kubelet.securePort() + path))
                .timeout(Duration.ofSeconds(30)).method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newBuilder().sslContext(tls()).build().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
