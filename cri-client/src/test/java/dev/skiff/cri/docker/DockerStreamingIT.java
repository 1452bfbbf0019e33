package dev.skiff.cri.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skiff.cri.streaming.NettySpdyProbe;
import dev.skiff.cri.streaming.NettyWebSocketProbe;
import dev.skiff.cri.testing.StreamingLeaks;
import dev.skiff.cri.v1.*;
import io.grpc.Status;
import io.netty.handler.codec.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The Docker shim's streaming exec, attach and port-forward against the real Docker Engine,
 * driven with a smoke-test client on Netty's SPDY codec (the protocol-level suite with the
 * independent client is CriStreamingIT).
 */
class DockerStreamingIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> V4 = List.of("v4.channel.k8s.io");

    @TempDir
    Path logs;
    private PodFixture pods;
    private String sandboxId;
    private PodSandboxConfig sandbox;

    @BeforeEach
    void setUp() {
        pods = new PodFixture("skiff-stream-it", logs);
        sandbox = pods.sandbox().build();
        sandboxId = pods.run(sandbox);
    }

    @AfterEach
    void tearDown() {
        pods.close();
    }

    private String container(String script) {
        return pods.start(sandboxId, sandbox, pods.container(sandbox, "c" + System.nanoTime(), script).build());
    }

    private String execUrl(String id, boolean stdin, boolean tty, String... cmd) {
        return pods.rt().exec(ExecRequest.newBuilder().setContainerId(id).addAllCmd(List.of(cmd))
                .setStdin(stdin).setStdout(true).setStderr(!tty).setTty(tty).build()).getUrl();
    }

    @Test
    void execWithoutTtyKeepsStdoutAndStderrApartAndReportsTheExitCode() throws Exception {
        String id = container("sleep 3600");
        String url = execUrl(id, false, false, "sh", "-c", "echo out; echo err >&2; exit 3");
        assertTrue(url.startsWith("http://127.0.0.1:"), url);
        try (NettySpdyProbe c = new NettySpdyProbe()) {
            HttpResponse res = c.connect(url, V4);
            assertEquals(101, res.status().code());
            assertEquals("v4.channel.k8s.io", res.headers().get("X-Stream-Protocol-Version"));
            int error = c.open(Map.of("streamtype", "error"));
            int stdout = c.open(Map.of("streamtype", "stdout"));
            int stderr = c.open(Map.of("streamtype", "stderr"));
            assertEquals("out\n", c.awaitEnd(stdout, WAIT));
            assertEquals("err\n", c.awaitEnd(stderr, WAIT));
            JsonNode status = JSON.readTree(c.awaitEnd(error, WAIT));
            assertEquals("Failure", status.path("status").asText(), status.toString());
            assertEquals("NonZeroExitCode", status.path("reason").asText());
            assertEquals("command terminated with non-zero exit code: Error executing in Docker Container: 3", status.path("message").asText());
            assertEquals("ExitCode", status.at("/details/causes/0/reason").asText());
            assertEquals("3", status.at("/details/causes/0/message").asText());
        }
    }

    @Test
    void stdinIsPipedAndItsEndEndsTheCommand() throws Exception {
        String id = container("sleep 3600");
        try (NettySpdyProbe c = new NettySpdyProbe()) {
            c.connect(execUrl(id, true, false, "sh", "-c", "tr a-z A-Z"), V4);
            int error = c.open(Map.of("streamtype", "error"));
            int stdin = c.open(Map.of("streamtype", "stdin"));
            int stdout = c.open(Map.of("streamtype", "stdout"));
            c.open(Map.of("streamtype", "stderr"));
            c.send(stdin, "hello ", false);
            c.send(stdin, "world\n", true);
            assertEquals("HELLO WORLD\n", c.awaitEnd(stdout, WAIT));
            assertEquals("{\"metadata\":{},\"status\":\"Success\"}", c.awaitEnd(error, WAIT));
        }
    }

    @Test
    void ttyExecSeesTheResize() throws Exception {
        String id = container("sleep 3600");
        try (NettySpdyProbe c = new NettySpdyProbe()) {
            c.connect(execUrl(id, true, true, "sh"), V4);
            int error = c.open(Map.of("streamtype", "error"));
            int stdin = c.open(Map.of("streamtype", "stdin"));
            int stdout = c.open(Map.of("streamtype", "stdout"));
            int resize = c.open(Map.of("streamtype", "resize"));
            c.send(resize, "{\"Width\":123,\"Height\":45}", false);
            // the resize reaches Docker apart from stdin: ask until the shell sees it
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!c.soFar(stdout).contains("45 123")) {
                assertTrue(System.nanoTime() < deadline, "stty never showed 45 123: " + c.soFar(stdout));
                c.send(stdin, "stty size\n", false);
                Thread.sleep(200);
            }
            c.send(stdin, "exit 7\n", false);
            c.awaitEnd(stdout, WAIT);
            JsonNode status = JSON.readTree(c.awaitEnd(error, WAIT));
            assertEquals("7", status.at("/details/causes/0/message").asText(), status.toString());
        }
    }

    @Test
    void aTokenServesOnceAndBadRequestsAreRefused() throws Exception {
        String id = container("sleep 3600");
        String url = execUrl(id, false, false, "true");
        try (NettySpdyProbe c = new NettySpdyProbe()) {
            assertEquals(101, c.connect(url, V4).status().code());
            int error = c.open(Map.of("streamtype", "error"));
            c.open(Map.of("streamtype", "stdout"));
            c.open(Map.of("streamtype", "stderr"));
            assertEquals("{\"metadata\":{},\"status\":\"Success\"}", c.awaitEnd(error, WAIT));
        }
        try (NettySpdyProbe again = new NettySpdyProbe()) {
            assertEquals(404, again.connect(url, V4).status().code());
            assertEquals("404 page not found\n", again.refusalBody());
        }
        PodFixture.assertCode(Status.Code.NOT_FOUND, () -> execUrl("no-such-container-x", false, false, "true"));
        PodFixture.assertCode(Status.Code.INVALID_ARGUMENT, () -> execUrl(id, false, false));
        PodFixture.assertCode(Status.Code.INVALID_ARGUMENT, () -> pods.rt().exec(ExecRequest.newBuilder()
                .setContainerId(id).addCmd("true").setTty(true).setStderr(true).build()));
        PodFixture.assertCode(Status.Code.INVALID_ARGUMENT, () -> pods.rt().exec(ExecRequest.newBuilder()
                .setContainerId(id).addCmd("true").build()));
    }

    @Test
    void aMissingCommandFailsWithTheRuntimesExitCode() throws Exception {
        String id = container("sleep 3600");
        try (NettySpdyProbe c = new NettySpdyProbe()) {
            c.connect(execUrl(id, false, false, "no-such-command-x"), V4);
            int error = c.open(Map.of("streamtype", "error"));
            c.open(Map.of("streamtype", "stdout"));
            c.open(Map.of("streamtype", "stderr"));
            JsonNode status = JSON.readTree(c.awaitEnd(error, WAIT));
            String code = status.at("/details/causes/0/message").asText();
            assertTrue(code.equals("126") || code.equals("127"), status.toString());
        }
    }

    @Test
    void aClientThatLeavesTakesItsProcessAlong() throws Exception {
        String id = container("sleep 3600");
        try (NettySpdyProbe c = new NettySpdyProbe()) {
            c.connect(execUrl(id, true, false, "sleep", "4321"), V4);
            c.open(Map.of("streamtype", "error"));
            c.open(Map.of("streamtype", "stdin"));
            c.open(Map.of("streamtype", "stdout"));
            c.open(Map.of("streamtype", "stderr"));
            PodFixture.await("the exec'd sleep runs", () -> pods.processes(id).stream().anyMatch(p -> p.contains("sleep 4321")), WAIT);
        }
        PodFixture.await("the exec'd sleep is gone", () -> pods.processes(id).stream().noneMatch(p -> p.contains("sleep 4321")), WAIT);
        assertTrue(pods.processes(id).stream().anyMatch(p -> p.contains("sleep 3600")), "the container itself still runs");
    }

    @Test
    void attachFollowsTheContainersOutput() throws Exception {
        String id = container("i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.2; done");
        String url = pods.rt().attach(AttachRequest.newBuilder().setContainerId(id).setStdout(true).setStderr(true).build()).getUrl();
        assertTrue(url.contains("/attach/"), url);
        try (NettySpdyProbe c = new NettySpdyProbe()) {
            c.connect(url, V4);
            c.open(Map.of("streamtype", "error"));
            int stdout = c.open(Map.of("streamtype", "stdout"));
            c.open(Map.of("streamtype", "stderr"));
            PodFixture.await("two ticks arrive", () -> c.soFar(stdout).split("tick").length > 3, WAIT);
        }
        assertEquals(ContainerState.CONTAINER_RUNNING, pods.status(id).getState(), "detaching leaves the container running");
    }

    @Test
    void attachWithStdinFeedsAContainerCreatedWithStdinOnce() throws Exception {
        String id = pods.start(sandboxId, sandbox, pods.container(sandbox, "reader", "tr a-z A-Z")
                .setStdin(true).setStdinOnce(true).build());
        String url = pods.rt().attach(AttachRequest.newBuilder().setContainerId(id).setStdin(true).setStdout(true).setStderr(true).build()).getUrl();
        try (NettySpdyProbe c = new NettySpdyProbe()) {
            c.connect(url, V4);
            int error = c.open(Map.of("streamtype", "error"));
            int stdin = c.open(Map.of("streamtype", "stdin"));
            int stdout = c.open(Map.of("streamtype", "stdout"));
            c.open(Map.of("streamtype", "stderr"));
            c.send(stdin, "attached\n", true);
            assertEquals("ATTACHED\n", c.awaitEnd(stdout, WAIT));
            assertEquals("{\"metadata\":{},\"status\":\"Success\"}", c.awaitEnd(error, WAIT));
        }
        pods.awaitExited(id, WAIT);
    }

    @Test
    void portForwardReachesAServerInThePodAndReportsARefusedPortOnItsOwnStream() throws Exception {
        container("mkdir -p /www && echo hello-from-pod > /www/index.html && exec httpd -f -p 8080 -h /www");
        String url = pods.rt().portForward(PortForwardRequest.newBuilder().setPodSandboxId(sandboxId).build()).getUrl();
        try (NettySpdyProbe c = new NettySpdyProbe()) {
            HttpResponse res = c.connect(url, List.of("portforward.k8s.io"));
            assertEquals("portforward.k8s.io", res.headers().get("X-Stream-Protocol-Version"));
            String body = "";
            long deadline = System.nanoTime() + WAIT.toNanos();
            for (int request = 0; !body.contains("hello-from-pod"); request++) {
                assertTrue(System.nanoTime() < deadline, "httpd never answered: " + body);
                int error = c.open(Map.of("streamtype", "error", "port", "8080", "requestid", Integer.toString(request)));
                int data = c.open(Map.of("streamtype", "data", "port", "8080", "requestid", Integer.toString(request)));
                c.send(data, "GET /index.html HTTP/1.0\r\n\r\n", true);
                body = c.awaitEnd(data, WAIT);
                String err = c.awaitEnd(error, WAIT);
                if (!body.contains("hello-from-pod")) {
                    Thread.sleep(200); // httpd may not listen yet
                } else {
                    assertEquals("", err);
                }
            }
            int error = c.open(Map.of("streamtype", "error", "port", "8081", "requestid", "x"));
            int data = c.open(Map.of("streamtype", "data", "port", "8081", "requestid", "x"));
            String err = c.awaitEnd(error, WAIT);
            assertTrue(err.startsWith("error forwarding port 8081 to pod " + sandboxId + ", uid : "), err);
            assertEquals("", c.awaitEnd(data, WAIT));
            assertTrue(c.channel().isActive(), "a refused port fails its own streams only");
        }
    }

    @Test
    void webSocketV5ExecEndsStdinWithTheCloseSignal() throws Exception {
        String id = container("sleep 3600");
        try (NettyWebSocketProbe c = new NettyWebSocketProbe()) {
            assertEquals("v5.channel.k8s.io", c.connect(execUrl(id, true, false, "sh", "-c", "tr a-z A-Z; echo done >&2; exit 4"), "v5.channel.k8s.io"));
            c.send(0, "over websocket\n");
            c.send(255, new byte[] {0});
            c.awaitClose(60);
            assertEquals("OVER WEBSOCKET\n", c.received(1));
            assertEquals("done\n", c.received(2));
            JsonNode status = JSON.readTree(c.received(3));
            assertEquals("4", status.at("/details/causes/0/message").asText(), status.toString());
        }
    }

    @Test
    void webSocketV4Base64ExecWithTty() throws Exception {
        String id = container("sleep 3600");
        try (NettyWebSocketProbe c = new NettyWebSocketProbe()) {
            assertEquals("v4.base64.channel.k8s.io", c.connect(execUrl(id, false, true, "sh", "-c", "echo tty:$(tty)"), "v4.base64.channel.k8s.io"));
            c.awaitClose(60);
            assertTrue(c.received(1).startsWith("tty:/dev/pts/"), c.received(1));
            assertEquals("{\"metadata\":{},\"status\":\"Success\"}", c.received(3));
        }
    }

    @Test
    void twoForwardedConnectionsCarryTenMebibytesEachIntact() throws Exception {
        String id = container("mkdir -p /www && dd if=/dev/urandom of=/www/big bs=1048576 count=10 2>/dev/null && exec httpd -f -p 8080 -h /www");
        PodFixture.await("the file is written", () -> pods.exec(id, "test", "-s", "/www/big").getExitCode() == 0, WAIT);
        String want = pods.sh(id, "md5sum /www/big").split(" ")[0];
        String url = pods.rt().portForward(PortForwardRequest.newBuilder().setPodSandboxId(sandboxId).addPort(8080).build()).getUrl();
        try (NettySpdyProbe c = new NettySpdyProbe()) {
            c.connect(url, List.of("portforward.k8s.io"));
            PodFixture.await("httpd answers", () -> {
                try {
                    return get(c, "probe" + System.nanoTime(), "/").length > 0;
                } catch (Exception e) {
                    return false;
                }
            }, WAIT);
            int[] data = new int[2];
            for (int i = 0; i < 2; i++) {
                c.open(Map.of("streamtype", "error", "port", "8080", "requestid", "big" + i));
                data[i] = c.open(Map.of("streamtype", "data", "port", "8080", "requestid", "big" + i));
            }
            for (int d : data) {
                c.send(d, "GET /big HTTP/1.0\r\n\r\n", true);
            }
            for (int d : data) {
                byte[] body = PodFixture.httpBody(c.awaitBytes(d, Duration.ofMinutes(3)));
                assertEquals(10 * 1024 * 1024, body.length);
                assertEquals(want, md5(body));
            }
        }
    }

    /** Open files net of the log copiers, with room for their noise well below the 100 a leak per session makes. */
    @Test
    void hundredSessionsLeaveNoThreadsOrFilesBehind() throws Exception {
        String id = container("sleep 3600");
        for (int i = 0; i < 5; i++) {
            execTrue(id); // warm up the pools
        }
        long threads = StreamingLeaks.streamingThreads();
        long fds = StreamingLeaks.netOpenFiles();
        for (int i = 0; i < 100; i++) {
            execTrue(id);
        }
        PodFixture.await("streaming threads stay at " + threads, () -> StreamingLeaks.streamingThreads() <= Math.max(threads, 6), WAIT);
        int port = pods.cri().streamingAddress().getPort();
        // TIME-WAIT holds no descriptor and ends on its own
        PodFixture.await("no connection to the streaming port is left", () -> StreamingLeaks.connectionsTo(port).isEmpty(), WAIT);
        PodFixture.await("open files back near " + fds + " (net of log copiers)", () -> StreamingLeaks.netOpenFiles() <= fds + 30, WAIT);
    }

    @Test
    void webSocketPortForwardServesEachRequestedPortOnItsOwnChannels() throws Exception {
        String id = container("mkdir -p /www && echo hello-over-ws > /www/index.html && exec httpd -f -p 8080 -h /www");
        PodFixture.await("httpd answers", () -> pods.exec(id, "wget", "-q", "-O-", "http://127.0.0.1:8080/index.html")
                .getStdout().toStringUtf8().contains("hello-over-ws"), WAIT);
        String url = pods.rt().portForward(PortForwardRequest.newBuilder().setPodSandboxId(sandboxId)
                .addPort(8080).addPort(8081).build()).getUrl();
        try (NettyWebSocketProbe c = new NettyWebSocketProbe()) {
            assertEquals("v4.channel.k8s.io", c.connect(url, "v4.channel.k8s.io"));
            c.send(0, "GET /index.html HTTP/1.0\r\n\r\n");
            c.awaitClose(60);
            byte[] port8080 = {(byte) 0x90, 0x1f};
            assertArrayEquals(port8080, Arrays.copyOf(c.bytes(0), 2), "the data channel opens with its port");
            assertArrayEquals(port8080, c.bytes(1), "no error on 8080");
            assertTrue(c.received(0).contains("hello-over-ws"), c.received(0));
            String error = new String(Arrays.copyOfRange(c.bytes(3), 2, c.bytes(3).length), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(error.startsWith("error forwarding port 8081 to pod " + sandboxId + ", uid : "), error);
        }
    }

    private void execTrue(String id) throws Exception {
        try (NettySpdyProbe c = new NettySpdyProbe()) {
            c.connect(execUrl(id, false, false, "true"), V4);
            int error = c.open(Map.of("streamtype", "error"));
            c.open(Map.of("streamtype", "stdout"));
            c.open(Map.of("streamtype", "stderr"));
            assertEquals("{\"metadata\":{},\"status\":\"Success\"}", c.awaitEnd(error, WAIT));
        }
    }

    private static byte[] get(NettySpdyProbe c, String requestId, String path) throws Exception {
        c.open(Map.of("streamtype", "error", "port", "8080", "requestid", requestId));
        int data = c.open(Map.of("streamtype", "data", "port", "8080", "requestid", requestId));
        c.send(data, "GET " + path + " HTTP/1.0\r\n\r\n", true);
        return c.awaitBytes(data, WAIT);
    }


    private static String md5(byte[] b) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5").digest(b));
    }
}
