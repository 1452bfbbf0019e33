package dev.skiff.streamclient;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.testing.PrivateContainerd;
import dev.skiff.cri.v1.AttachRequest;
import dev.skiff.cri.v1.ContainerConfig;
import dev.skiff.cri.v1.ContainerMetadata;
import dev.skiff.cri.v1.CreateContainerRequest;
import dev.skiff.cri.v1.ExecRequest;
import dev.skiff.cri.v1.ExecSyncRequest;
import dev.skiff.cri.v1.ExecSyncResponse;
import dev.skiff.cri.v1.ImageSpec;
import dev.skiff.cri.v1.LinuxPodSandboxConfig;
import dev.skiff.cri.v1.LinuxSandboxSecurityContext;
import dev.skiff.cri.v1.NamespaceMode;
import dev.skiff.cri.v1.NamespaceOption;
import dev.skiff.cri.v1.PodSandboxConfig;
import dev.skiff.cri.v1.PodSandboxMetadata;
import dev.skiff.cri.v1.PortForwardRequest;
import dev.skiff.cri.v1.RunPodSandboxRequest;
import dev.skiff.cri.v1.StartContainerRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The stream client against a reference server: containerd 1.6's CRI streaming server (the
 * upstream kubelet streaming package inside containerd), through URLs its CRI Exec, Attach and
 * PortForward return. If these pass, the client speaks the protocols as upstream serves them;
 * Skiff's server is then tested with it. containerd here has no CNI: the pod uses the host's
 * network, so httpd listens on a free loopback port of the host.
 */
class StreamClientContainerdIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    @TempDir
    static Path dir;
    private static PrivateContainerd containerd;
    private static RuntimeService cri;
    private static String podId;
    private static String shellId;
    private static String echoId;
    private static String httpdId;
    private static int httpPort;

    @BeforeAll
    static void startPod() throws Exception {
        containerd = PrivateContainerd.start(dir);
        cri = containerd.cri().runtime();
        String busybox = containerd.importTestImages();
        PodSandboxConfig pod = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName("stream-client").setNamespace("skiff-it").setUid("uid-stream-client"))
                .setLogDirectory(Files.createDirectories(dir.resolve("pod-logs")).toString())
                .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(LinuxSandboxSecurityContext.newBuilder()
                        .setNamespaceOptions(NamespaceOption.newBuilder().setNetwork(NamespaceMode.NODE))))
                .build();
        podId = cri.runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(pod).build()).getPodSandboxId();
        shellId = start(pod, busybox, "shell", false, "sleep", "3600");
        echoId = start(pod, busybox, "echo", true, "sh", "-c", "echo ready; while read line; do echo \"got $line\"; done");
        httpPort = freeLoopbackPort();
        httpdId = start(pod, busybox, "httpd", false, "sh", "-c", "mkdir -p /tmp/www && echo hello-from-httpd > /tmp/www/index.html"
                + " && head -c 3000000 /dev/urandom > /tmp/www/blob && exec httpd -f -p 127.0.0.1:" + httpPort + " -h /tmp/www");
        awaitListening(httpPort);
    }

    @AfterAll
    static void stopContainerd() throws InterruptedException {
        if (containerd != null) {
            containerd.close();
        }
    }

    @Test
    void spdyExecWithoutTtySeparatesStdoutAndStderr() throws Exception {
        URI url = execUrl(shellId, false, false, "sh", "-c", "echo out; echo err >&2");
        try (ExecSession s = StreamClient.exec(url, StreamOptions.defaults())) {
            assertEquals("v4.channel.k8s.io", s.protocol());
            ExecResult r = s.collect(TIMEOUT);
            assertEquals("out\n", r.stdout());
            assertEquals("err\n", r.stderr());
            assertTrue(r.status().success(), r.status().raw());
            assertEquals(0, r.status().exitCode());
            assertFalse(r.status().raw().isEmpty(), "v4 sends a Success Status, not nothing");
        }
    }

    @Test
    void spdyExecExitCodeThreeIsNonZeroExitCode() throws Exception {
        URI url = execUrl(shellId, false, false, "sh", "-c", "echo bye; exit 3");
        try (ExecSession s = StreamClient.exec(url, StreamOptions.defaults())) {
            ExecResult r = s.collect(TIMEOUT);
            assertEquals("bye\n", r.stdout());
            assertFalse(r.status().success(), r.status().raw());
            assertEquals("NonZeroExitCode", r.status().reason(), r.status().raw());
            assertEquals(3, r.status().exitCode(), r.status().raw());
            assertTrue(r.status().message().startsWith("command terminated with non-zero exit code"), r.status().raw());
        }
    }

    @Test
    void spdyExecPipesStdinUntilItIsClosed() throws Exception {
        byte[] input = new byte[1 << 20];
        new Random(16).nextBytes(input);
        URI url = execUrl(shellId, false, true, "md5sum");
        try (ExecSession s = StreamClient.exec(url, StreamOptions.defaults().withStdin(true))) {
            s.stdin().write(input);
            s.closeStdin();
            ExecResult r = s.collect(TIMEOUT);
            assertEquals(md5(input) + "  -\n", r.stdout(), r.stderr());
            assertTrue(r.status().success(), r.status().raw());
        }
    }

    @Test
    void spdyTtyExecRunsAShellInATerminal() throws Exception {
        URI url = execUrl(shellId, true, true, "sh");
        try (ExecSession s = StreamClient.exec(url, StreamOptions.defaults().withStdin(true).withTty(true))) {
            assertFalse(s.hasStderr(), "a TTY merges stderr into stdout");
            s.stdin().write("echo $((6*7)); tty\nexit 5\n".getBytes(StandardCharsets.UTF_8));
            ExecResult r = s.collect(TIMEOUT);
            assertTrue(r.stdout().contains("\r\n42\r\n/dev/pts/"), "the terminal turns \\n into \\r\\n:\n" + r.stdout());
            assertEquals(5, r.status().exitCode(), r.status().raw());
        }
    }

    @Test
    void spdyResizeIsSeenBySttySize() throws Exception {
        URI url = execUrl(shellId, true, true, "sh", "-c", sizePoll("40 120"));
        try (ExecSession s = StreamClient.exec(url, StreamOptions.defaults().withStdin(true).withTty(true))) {
            s.resize(120, 40);
            ExecResult r = s.collect(TIMEOUT);
            assertTrue(r.stdout().contains("size 40 120"), r.stdout());
            assertTrue(r.status().success(), r.status().raw() + "\n" + r.stdout());
        }
    }

    @Test
    void webSocketExecFallsBackToV4AndCarriesChannelsAndExitCode() throws Exception {
        URI url = execUrl(shellId, false, false, "sh", "-c", "echo out; echo err >&2; exit 3");
        try (ExecSession s = StreamClient.exec(url, StreamOptions.defaults().withTransport(Transport.WEBSOCKET))) {
            assertEquals("v4.channel.k8s.io", s.protocol(), "containerd 1.6 predates v5");
            ExecResult r = s.collect(TIMEOUT);
            assertEquals("out\n", r.stdout());
            assertEquals("err\n", r.stderr());
            assertEquals("NonZeroExitCode", r.status().reason(), r.status().raw());
            assertEquals(3, r.status().exitCode(), r.status().raw());
        }
    }

    @Test
    void webSocketTtyExecTakesStdinAndResize() throws Exception {
        URI url = execUrl(shellId, true, true, "sh", "-c", "read line; echo \"got $line\"; " + sizePoll("30 100"));
        StreamOptions o = StreamOptions.defaults().withTransport(Transport.WEBSOCKET).withStdin(true).withTty(true);
        try (ExecSession s = StreamClient.exec(url, o)) {
            s.resize(100, 30);
            s.stdin().write("hello\n".getBytes(StandardCharsets.UTF_8));
            assertThrows(UnsupportedOperationException.class, s::closeStdin, "v4 cannot end stdin");
            ExecResult r = s.collect(TIMEOUT);
            assertTrue(r.stdout().contains("got hello\r\n"), r.stdout());
            assertTrue(r.stdout().contains("size 30 100"), r.stdout());
            assertTrue(r.status().success(), r.status().raw() + "\n" + r.stdout());
        }
    }

    @Test
    void attachOverSpdyAndWebSocketReachesTheContainersStdio() throws Exception {
        for (Transport t : Transport.values()) {
            URI url = URI.create(cri.attach(AttachRequest.newBuilder().setContainerId(echoId)
                    .setStdin(true).setStdout(true).setStderr(true).build()).getUrl());
            try (ExecSession s = StreamClient.attach(url, StreamOptions.defaults().withStdin(true).withTransport(t))) {
                s.stdin().write(("via " + t + "\n").getBytes(StandardCharsets.UTF_8));
                s.stdin().flush();
                BufferedReader out = new BufferedReader(new InputStreamReader(s.stdout(), StandardCharsets.UTF_8));
                String line;
                do {
                    line = out.readLine();
                } while (line != null && !line.equals("got via " + t));
                assertEquals("got via " + t, line, "the attached container answers on stdout");
            }
        }
    }

    @Test
    void portForwardCarriesTwoConcurrentConnectionsIntact() throws Exception {
        try (PortForwardSession session = StreamClient.portForward(portForwardUrl(), TIMEOUT)) {
            PortForwardStream blob = session.stream(httpPort);
            PortForwardStream index = session.stream(httpPort);
            get(blob, "/blob");
            get(index, "/index.html");
            String indexResponse = new String(index.input().readAllBytes(), StandardCharsets.UTF_8);
            byte[] blobResponse = blob.input().readAllBytes();
            assertTrue(indexResponse.startsWith("HTTP/1.") && indexResponse.endsWith("\r\n\r\nhello-from-httpd\n"), indexResponse);
            String body = md5(Arrays.copyOfRange(blobResponse, headEnd(blobResponse), blobResponse.length));
            assertEquals(md5InHttpd("/tmp/www/blob"), body, "3 MB through the forward, intact");
            assertEquals("", blob.awaitError(TIMEOUT));
            assertEquals("", index.awaitError(TIMEOUT));
            blob.close();
            index.close();
        }
    }

    @Test
    void portForwardToAPortNothingListensOnFailsThatStreamOnly() throws Exception {
        int closed = freeLoopbackPort();
        try (PortForwardSession session = StreamClient.portForward(portForwardUrl(), TIMEOUT)) {
            PortForwardStream refused = session.stream(closed);
            String error = refused.awaitError(TIMEOUT);
            assertTrue(error.contains(Integer.toString(closed)) && error.contains("refused"), error);
            PortForwardStream fine = session.stream(httpPort);
            get(fine, "/index.html");
            assertTrue(new String(fine.input().readAllBytes(), StandardCharsets.UTF_8).endsWith("hello-from-httpd\n"));
            assertEquals("", fine.awaitError(TIMEOUT));
        }
    }

    @Test
    void aReusedOrUnknownTokenIsRefusedWith404() throws Exception {
        URI url = execUrl(shellId, false, false, "true");
        try (ExecSession s = StreamClient.exec(url, StreamOptions.defaults())) {
            assertTrue(s.collect(TIMEOUT).status().success());
        }
        UpgradeRefusedException reused = assertThrows(UpgradeRefusedException.class,
                () -> StreamClient.exec(url, StreamOptions.defaults()));
        assertEquals(404, reused.status(), reused.getMessage());
        URI unknown = url.resolve("/exec/AAAAAAAA");
        UpgradeRefusedException e = assertThrows(UpgradeRefusedException.class,
                () -> StreamClient.exec(unknown, StreamOptions.defaults().withTransport(Transport.WEBSOCKET)));
        assertEquals(404, e.status(), e.getMessage());
    }

    /** A shell loop that prints the terminal size once it is {@code want} (rows cols), exit 1 if it never is. */
    private static String sizePoll(String want) {
        return "for i in $(seq 1 200); do s=$(stty size); if [ \"$s\" = \"" + want + "\" ]; then echo \"size $s\"; exit 0; fi;"
                + " sleep 0.1; done; echo \"size $s\"; exit 1";
    }

    private static URI execUrl(String container, boolean tty, boolean stdin, String... cmd) {
        return URI.create(cri.exec(ExecRequest.newBuilder().setContainerId(container).addAllCmd(List.of(cmd))
                .setTty(tty).setStdin(stdin).setStdout(true).setStderr(!tty).build()).getUrl());
    }

    private static URI portForwardUrl() {
        return URI.create(cri.portForward(PortForwardRequest.newBuilder().setPodSandboxId(podId).addPort(httpPort).build()).getUrl());
    }

    /** HTTP/1.0: httpd answers and closes, which ends the forward. No half-close first: containerd ends the forward at the first EOF. */
    private static void get(PortForwardStream stream, String path) throws IOException {
        OutputStream out = stream.output();
        out.write(("GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static int headEnd(byte[] response) {
        for (int i = 0; i + 3 < response.length; i++) {
            if (response[i] == '\r' && response[i + 1] == '\n' && response[i + 2] == '\r' && response[i + 3] == '\n') {
                return i + 4;
            }
        }
        throw new AssertionError("no end of the HTTP head in " + response.length + " bytes");
    }

    /** md5sum of a file in the httpd container, through ExecSync (not through the client under test). */
    private static String md5InHttpd(String path) {
        ExecSyncResponse sum = cri.execSync(ExecSyncRequest.newBuilder().setContainerId(httpdId)
                .addCmd("md5sum").addCmd(path).setTimeout(30).build());
        assertEquals(0, sum.getExitCode(), sum.getStderr().toStringUtf8());
        return sum.getStdout().toStringUtf8().split(" ")[0];
    }

    private static String md5(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
    }

    private static String start(PodSandboxConfig pod, String image, String name, boolean stdin, String... cmd) {
        ContainerConfig config = ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName(name))
                .setImage(ImageSpec.newBuilder().setImage(image))
                .addAllCommand(List.of(cmd))
                .setStdin(stdin)
                .setLogPath(name + ".log")
                .build();
        String id = cri.createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(podId).setConfig(config)
                .setSandboxConfig(pod).build()).getContainerId();
        cri.startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
        return id;
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void awaitListening(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    fail("httpd in the pod did not listen on 127.0.0.1:" + port + " within 60 s:\n" + containerd.tail());
                }
                Thread.sleep(200);
            }
        }
    }
}
