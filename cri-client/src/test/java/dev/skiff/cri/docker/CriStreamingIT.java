package dev.skiff.cri.docker;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.remote.RemoteCriRuntime;
import dev.skiff.cri.server.CriServer;
import dev.skiff.cri.testing.StreamingLeaks;
import dev.skiff.cri.testing.TestDocker;
import dev.skiff.cri.v1.AttachRequest;
import dev.skiff.cri.v1.ContainerConfig;
import dev.skiff.cri.v1.CreateContainerRequest;
import dev.skiff.cri.v1.ExecRequest;
import dev.skiff.cri.v1.ExecSyncRequest;
import dev.skiff.cri.v1.ExecSyncResponse;
import dev.skiff.cri.v1.PodSandboxConfig;
import dev.skiff.cri.v1.PortForwardRequest;
import dev.skiff.cri.v1.RunPodSandboxRequest;
import dev.skiff.cri.v1.StartContainerRequest;
import dev.skiff.streamclient.ExecResult;
import dev.skiff.streamclient.ExecSession;
import dev.skiff.streamclient.ExecStatus;
import dev.skiff.streamclient.PortForwardSession;
import dev.skiff.streamclient.PortForwardStream;
import dev.skiff.streamclient.StreamClient;
import dev.skiff.streamclient.StreamOptions;
import dev.skiff.streamclient.Transport;
import dev.skiff.streamclient.UpgradeRefusedException;
import io.grpc.Status;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The Docker shim's CRI streaming, end to end as a CRI client meets it: the shim ({@link DockerCriRuntime}, what
 * {@code skiff cri-shim} runs) served by {@link CriServer} on a private Unix socket in this JVM, a gRPC client asking
 * {@code Exec}, {@code Attach} and {@code PortForward} for URLs, and those URLs driven only with the independent test
 * client {@link dev.skiff.streamclient} (proven against containerd by StreamClientContainerdIT), over SPDY and
 * WebSocket. In-process so the streaming server's token clock can be moved (a token expires after a minute), and its
 * pool threads can be told apart by name.
 */
class CriStreamingIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final List<Transport> BOTH = List.of(Transport.SPDY, Transport.WEBSOCKET);
    /** Added to the streaming server's clock: moving it ages every token without waiting. */
    private static final AtomicLong CLOCK_SKEW = new AtomicLong();

    @TempDir
    static Path dir;
    private static PodFixture pods;
    private static CriServer server;
    private static RemoteCriRuntime remote;
    private static RuntimeService cri;
    private static String sandboxId;
    private static String shellId;
    private static String counterId;
    private static String httpdId;

    @BeforeAll
    static void serveAndStartPod() throws Exception {
        pods = new PodFixture("skiff-cri-stream", Files.createDirectories(dir.resolve("logs")),
                () -> DockerCriRuntime.connect(new DockerShimConfig(TestDocker.ENDPOINT, null), null,
                        () -> System.nanoTime() + CLOCK_SKEW.get()));
        Path socket = dir.resolve("cri.sock");
        server = CriServer.start(socket, pods.rt(), pods.cri().images());
        remote = RemoteCriRuntime.connect("unix://" + socket, Duration.ofMinutes(2)); // the first sandbox may import pause
        cri = remote.runtime();
        PodSandboxConfig sandbox = pods.sandbox("streams").build();
        sandboxId = cri.runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(sandbox).build()).getPodSandboxId();
        shellId = start(sandbox, "shell", "exec sleep 3600");
        counterId = start(sandbox, "counter", "i=0; while true; do echo count-$i; i=$((i+1)); sleep 0.2; done");
        httpdId = start(sandbox, "httpd", "mkdir -p /www && echo hello-from-pod > /www/index.html"
                + " && dd if=/dev/urandom of=/www/big bs=1048576 count=10 2>/dev/null && exec httpd -f -p 8080 -h /www");
        PodFixture.await("httpd in the pod serves its files", () -> execSync(httpdId, "wget", "-q", "-O", "/dev/null",
                "http://127.0.0.1:8080/big").getExitCode() == 0, WAIT);
    }

    @AfterAll
    static void cleanUp() {
        try {
            if (remote != null) remote.close();
            if (server != null) server.close();
        } finally {
            if (pods != null) pods.close(); // the runtime, then every container of the fixture's namespace
        }
    }

    // ---- exec ----

    @Test
    void execWithoutTtyKeepsStdoutAndStderrApart() throws Exception {
        for (Transport t : BOTH) {
            try (ExecSession s = StreamClient.exec(execUrl(shellId, false, false, "sh", "-c", "echo out; echo err >&2"), options(t))) {
                assertEquals(t == Transport.SPDY ? "v4.channel.k8s.io" : "v5.channel.k8s.io", s.protocol());
                ExecResult r = s.collect(WAIT);
                assertEquals("out\n", r.stdout(), t.name());
                assertEquals("err\n", r.stderr(), t.name());
                assertTrue(r.status().success(), t + ": " + r.status().raw());
            }
        }
    }

    @Test
    void execWithTtyRunsAShellInATerminal() throws Exception {
        for (Transport t : BOTH) {
            try (ExecSession s = StreamClient.exec(execUrl(shellId, true, true, "sh"), options(t).withStdin(true).withTty(true))) {
                assertFalse(s.hasStderr(), "a TTY merges stderr into stdout");
                s.stdin().write("echo $((6*7)); tty; exit 3\n".getBytes(StandardCharsets.UTF_8));
                s.stdin().flush();
                ExecResult r = s.collect(WAIT);
                assertTrue(r.stdout().contains("\r\n42\r\n/dev/pts/"), t + ": the terminal turns \\n into \\r\\n:\n" + r.stdout());
                assertEquals(3, r.status().exitCode(), t + ": " + r.status().raw());
            }
        }
    }

    @Test
    void stdinIsPipedToCatUntilItEnds() throws Exception {
        byte[] input = new byte[1 << 20];
        new Random(16).nextBytes(input);
        for (Transport t : BOTH) {
            try (ExecSession s = StreamClient.exec(execUrl(shellId, false, true, "cat"), options(t).withStdin(true))) {
                CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(s));
                s.stdin().write(input);
                s.stdin().flush();
                s.closeStdin(); // cat sees EOF and ends, which ends the session
                byte[] echoed = out.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertEquals(sha256(input), sha256(echoed), t + ": " + echoed.length + " bytes back of " + input.length);
                assertTrue(s.awaitStatus(WAIT).success(), t.name());
            }
        }
    }

    @Test
    void exitCodeThreeComesBackAsNonZeroExitCode() throws Exception {
        for (Transport t : BOTH) {
            try (ExecSession s = StreamClient.exec(execUrl(shellId, false, false, "sh", "-c", "echo bye; exit 3"), options(t))) {
                ExecResult r = s.collect(WAIT);
                assertEquals("bye\n", r.stdout(), t.name());
                ExecStatus status = r.status();
                assertEquals("Failure", status.status(), t + ": " + status.raw());
                assertEquals("NonZeroExitCode", status.reason(), t + ": " + status.raw());
                assertEquals(3, status.exitCode(), t + ": " + status.raw());
                assertTrue(status.message().startsWith("command terminated with non-zero exit code: "), t + ": " + status.raw());
            }
        }
    }

    @Test
    void aResizeIsSeenBySttySize() throws Exception {
        for (Transport t : BOTH) {
            // Docker 20.10 sizes an exec's terminal only once it runs: the shell looks until the size is there
            String poll = "for i in $(seq 1 300); do s=$(stty size 2>/dev/null); [ \"$s\" = \"40 120\" ] && break; sleep 0.1; done;"
                    + " echo \"size $s\"; [ \"$s\" = \"40 120\" ]";
            try (ExecSession s = StreamClient.exec(execUrl(shellId, true, true, "sh", "-c", poll), options(t).withStdin(true).withTty(true))) {
                s.resize(120, 40);
                ExecResult r = s.collect(WAIT);
                assertTrue(r.stdout().contains("size 40 120"), t + ": " + r.stdout());
                assertTrue(r.status().success(), t + ": " + r.status().raw() + "\n" + r.stdout());
            }
        }
    }

    // ---- attach ----

    @Test
    void attachFollowsACounterAsItCounts() throws Exception {
        for (Transport t : BOTH) {
            URI url = URI.create(cri.attach(AttachRequest.newBuilder().setContainerId(counterId).setStdout(true).setStderr(true)
                    .build()).getUrl());
            try (ExecSession s = StreamClient.attach(url, options(t))) {
                BufferedReader lines = new BufferedReader(new InputStreamReader(s.stdout(), StandardCharsets.UTF_8));
                int first = count(lines.readLine());
                int second = count(lines.readLine());
                int third = count(lines.readLine());
                assertTrue(first < second && second < third, t + ": " + first + ", " + second + ", " + third);
            }
        }
        assertTrue(pods.processes(counterId).stream().anyMatch(p -> p.contains("while true")), "detaching leaves the counter running");
    }

    private static int count(String line) {
        assertNotNull(line, "the attach ended");
        assertTrue(line.startsWith("count-"), line);
        return Integer.parseInt(line.substring("count-".length()));
    }

    // ---- port-forward ----

    @Test
    void portForwardCarriesTwoConcurrentTenMebibyteDownloadsIntact() throws Exception {
        String want = execSyncOut(httpdId, "sha256sum", "/www/big").split(" ")[0];
        ExecutorService readers = Executors.newFixedThreadPool(2, r -> new Thread(r, "port-forward-reader"));
        try (PortForwardSession session = StreamClient.portForward(portForwardUrl(8080), WAIT)) {
            PortForwardStream a = session.stream(8080);
            PortForwardStream b = session.stream(8080);
            get(a, "/big");
            get(b, "/big");
            CompletableFuture<byte[]> fromA = CompletableFuture.supplyAsync(() -> readAll(a), readers);
            CompletableFuture<byte[]> fromB = CompletableFuture.supplyAsync(() -> readAll(b), readers);
            for (CompletableFuture<byte[]> download : List.of(fromA, fromB)) {
                byte[] body = PodFixture.httpBody(download.get(3, TimeUnit.MINUTES));
                assertEquals(10 << 20, body.length);
                assertEquals(want, sha256(body));
            }
            assertEquals("", a.awaitError(WAIT));
            assertEquals("", b.awaitError(WAIT));
        } finally {
            readers.shutdownNow();
        }
    }

    @Test
    void aPortNothingListensOnFailsThatStreamOnly() throws Exception {
        try (PortForwardSession session = StreamClient.portForward(portForwardUrl(8080, 8081), WAIT)) {
            PortForwardStream refused = session.stream(8081);
            String error = refused.awaitError(WAIT);
            assertTrue(error.startsWith("error forwarding port 8081 to pod " + sandboxId + ", uid : "), error);
            PortForwardStream fine = session.stream(8080);
            get(fine, "/index.html");
            assertTrue(new String(fine.input().readAllBytes(), StandardCharsets.UTF_8).endsWith("\r\n\r\nhello-from-pod\n"));
            assertEquals("", fine.awaitError(WAIT));
        }
    }

    // ---- bad input ----

    @Test
    void anExpiredTokenIsRefusedWith404() throws Exception {
        for (Transport t : BOTH) {
            URI url = execUrl(shellId, false, false, "true");
            CLOCK_SKEW.addAndGet(Duration.ofSeconds(61).toNanos()); // past upstream's one minute
            UpgradeRefusedException e = assertThrows(UpgradeRefusedException.class, () -> StreamClient.exec(url, options(t)));
            assertEquals(404, e.status(), e.getMessage());
            assertEquals("404 page not found\n", e.body());
        }
        try (ExecSession s = StreamClient.exec(execUrl(shellId, false, false, "true"), options(Transport.SPDY))) {
            assertTrue(s.collect(WAIT).status().success(), "a fresh token still works");
        }
    }

    @Test
    void aReusedTokenIsRefusedWith404() throws Exception {
        for (Transport t : BOTH) {
            URI url = execUrl(shellId, false, false, "true");
            try (ExecSession s = StreamClient.exec(url, options(t))) {
                assertTrue(s.collect(WAIT).status().success(), t.name());
            }
            UpgradeRefusedException e = assertThrows(UpgradeRefusedException.class, () -> StreamClient.exec(url, options(t)));
            assertEquals(404, e.status(), e.getMessage());
        }
        URI url = portForwardUrl(8080);
        StreamClient.portForward(url, WAIT).close();
        UpgradeRefusedException e = assertThrows(UpgradeRefusedException.class, () -> StreamClient.portForward(url, WAIT));
        assertEquals(404, e.status(), e.getMessage());
    }

    @Test
    void anUnknownContainerOrSandboxIsNotFound() {
        String unknown = PodFixture.randomId();
        var exec = PodFixture.assertCode(Status.Code.NOT_FOUND, () -> execUrl(unknown, false, false, "true"));
        assertTrue(exec.getStatus().getDescription().contains(unknown), exec.getStatus().toString());
        PodFixture.assertCode(Status.Code.NOT_FOUND, () -> cri.attach(AttachRequest.newBuilder().setContainerId(unknown)
                .setStdout(true).build()));
        PodFixture.assertCode(Status.Code.NOT_FOUND, () -> cri.portForward(PortForwardRequest.newBuilder().setPodSandboxId(unknown)
                .addPort(8080).build()));
    }

    @Test
    void aCommandThatDoesNotExistFailsWithTheRuntimesExitCode() throws Exception {
        for (Transport t : BOTH) {
            try (ExecSession s = StreamClient.exec(execUrl(shellId, false, false, "no-such-command-x"), options(t))) {
                ExecResult r = s.collect(WAIT);
                assertEquals("NonZeroExitCode", r.status().reason(), t + ": " + r.status().raw());
                assertTrue(r.status().exitCode() == 126 || r.status().exitCode() == 127, t + ": " + r.status().raw());
            }
        }
    }

    @Test
    void aClientThatLeavesMidStreamTakesItsProcessAlong() throws Exception {
        for (Transport t : BOTH) {
            String marker = "sleep " + (4000 + t.ordinal());
            ExecSession s = StreamClient.exec(execUrl(shellId, false, true, "sh", "-c", "echo started; exec " + marker),
                    options(t).withStdin(true));
            assertEquals("started", new BufferedReader(new InputStreamReader(s.stdout(), StandardCharsets.UTF_8)).readLine());
            PodFixture.await(t + ": the exec'd " + marker + " runs", () -> running(marker), WAIT);
            s.close(); // the connection goes, mid-stream
            PodFixture.await(t + ": the exec'd " + marker + " is gone", () -> !running(marker), WAIT);
        }
        assertTrue(running("sleep 3600"), "the container itself still runs");
    }

    /**
     * 200 sessions over both transports, every 25th left mid-stream: afterwards the streaming server's pool threads
     * and this JVM's open files (net of the log copiers the shim runs for every pod container on the host) settle
     * where they were, no connection to the streaming port stays open and no exec'd process is left.
     */
    @Test
    void twoHundredSessionsLeaveNoThreadsFilesOrProcessesBehind() throws Exception {
        for (Transport t : BOTH) {
            execEcho(t); // warm up the pools
        }
        long threads = StreamingLeaks.streamingThreads();
        long fds = StreamingLeaks.netOpenFiles();
        for (int i = 0; i < 200; i++) {
            Transport t = BOTH.get(i % 2);
            if (i % 25 == 0) {
                ExecSession s = StreamClient.exec(execUrl(shellId, false, false, "sh", "-c", "echo started; exec sleep 4100"), options(t));
                assertEquals('s', s.stdout().read(), "session " + i);
                s.close();
            } else {
                execEcho(t);
            }
        }
        PodFixture.await("streaming threads back at " + threads, () -> StreamingLeaks.streamingThreads() <= Math.max(threads, 6), WAIT);
        int port = pods.cri().streamingAddress().getPort();
        PodFixture.await("no connection to the streaming port is left", () -> StreamingLeaks.connectionsTo(port).isEmpty(), WAIT);
        PodFixture.await("open files back near " + fds + " (net of log copiers)", () -> StreamingLeaks.netOpenFiles() <= fds + 30, WAIT);
        PodFixture.await("no exec'd sleep 4100 is left", () -> !running("sleep 4100"), WAIT);
    }

    private static void execEcho(Transport t) throws IOException {
        try (ExecSession s = StreamClient.exec(execUrl(shellId, false, false, "echo", "ok"), options(t))) {
            ExecResult r = s.collect(WAIT);
            assertEquals("ok\n", r.stdout(), t.name());
            assertTrue(r.status().success(), t + ": " + r.status().raw());
        }
    }

    // ---- helpers ----

    private static StreamOptions options(Transport t) {
        return StreamOptions.defaults().withTransport(t).withTimeout(WAIT);
    }

    private static boolean running(String command) {
        return pods.processes(shellId).stream().anyMatch(p -> p.endsWith(command));
    }

    private static String start(PodSandboxConfig sandbox, String name, String script) {
        ContainerConfig config = pods.container(sandbox, name, script).build();
        String id = cri.createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(sandboxId).setConfig(config)
                .setSandboxConfig(sandbox).build()).getContainerId();
        cri.startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
        return id;
    }

    private static URI execUrl(String container, boolean tty, boolean stdin, String... cmd) {
        return URI.create(cri.exec(ExecRequest.newBuilder().setContainerId(container).addAllCmd(List.of(cmd))
                .setTty(tty).setStdin(stdin).setStdout(true).setStderr(!tty).build()).getUrl());
    }

    private static URI portForwardUrl(Integer... ports) {
        return URI.create(cri.portForward(PortForwardRequest.newBuilder().setPodSandboxId(sandboxId).addAllPort(List.of(ports))
                .build()).getUrl());
    }

    private static ExecSyncResponse execSync(String container, String... cmd) {
        return cri.execSync(ExecSyncRequest.newBuilder().setContainerId(container).addAllCmd(List.of(cmd)).setTimeout(30).build());
    }

    /** stdout of a command run through ExecSync (not through the streaming path under test); it must exit 0. */
    private static String execSyncOut(String container, String... cmd) {
        ExecSyncResponse r = execSync(container, cmd);
        assertEquals(0, r.getExitCode(), r.getStderr().toStringUtf8());
        return r.getStdout().toStringUtf8();
    }

    /** HTTP/1.0, so httpd answers and closes, which ends the forwarded stream. */
    private static void get(PortForwardStream stream, String path) throws IOException {
        OutputStream out = stream.output();
        out.write(("GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static byte[] readAll(ExecSession s) {
        try {
            return s.stdout().readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static byte[] readAll(PortForwardStream s) {
        try {
            return s.input().readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }


    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
