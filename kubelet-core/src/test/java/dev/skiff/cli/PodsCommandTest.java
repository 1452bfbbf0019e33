package dev.skiff.cli;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PodsCommandTest {
    private static final Instant NOW = Instant.parse("2025-01-01T12:00:00Z");

    /** Two pods as the kubelet's /pods serves them; listed out of order to check the sort. */
    private static final String POD_LIST = """
            {"kind":"PodList","apiVersion":"v1","metadata":{},"items":[
             {"metadata":{"name":"web-node1","namespace":"default","uid":"u2"},
              "spec":{"containers":[{"name":"httpd","image":"skiff-test/busybox:1"}]},
              "status":{"phase":"Running","startTime":"2025-01-01T11:57:00Z",
                "conditions":[{"type":"Ready","status":"True"}],
                "containerStatuses":[{"name":"httpd","ready":true,"restartCount":0,"image":"skiff-test/busybox:1",
                  "imageID":"","containerID":"docker://abc","state":{"running":{"startedAt":"2025-01-01T11:57:01Z"}}}]}},
             {"metadata":{"name":"crash-loop-node1","namespace":"default","uid":"u1"},
              "spec":{"containers":[{"name":"flaky","image":"skiff-test/busybox:1"}]},
              "status":{"phase":"Running","startTime":"2025-01-01T11:00:00Z",
                "containerStatuses":[{"name":"flaky","ready":false,"restartCount":4,"image":"skiff-test/busybox:1",
                  "imageID":"","containerID":"docker://def",
                  "state":{"waiting":{"reason":"CrashLoopBackOff","message":"back-off 2m40s"}},
                  "lastState":{"terminated":{"exitCode":1,"reason":"Error","finishedAt":"2025-01-01T11:59:30Z"}}}]}}
            ]}""";

    private final List<HttpServer> servers = new ArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(s -> s.stop(0));
    }

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        PodsCommand command = new PodsCommand();
        command.clock = Clock.fixed(NOW, ZoneOffset.UTC);
        CommandLine cmd = new CommandLine(command);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cmd.setOut(new PrintWriter(out));
        cmd.setErr(new PrintWriter(err));
        int code = cmd.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** A kubelet stand-in answering /pods with {@code status} and {@code body}; returns its port. */
    private int serve(int status, String body) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/pods", ex -> {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(bytes);
            }
        });
        server.start();
        servers.add(server);
        return server.getAddress().getPort();
    }

    @Test
    void printsThePodsAsKubectlDoes() throws IOException {
        int port = serve(200, POD_LIST);
        Run r = run("--read-only-port", Integer.toString(port));
        assertEquals(0, r.code(), r.err());
        assertEquals("""
                NAME               READY   STATUS             RESTARTS      AGE
                crash-loop-node1   0/1     CrashLoopBackOff   4 (30s ago)   60m
                web-node1          1/1     Running            0             3m
                """, r.out());
        assertEquals("", r.err());
    }

    @Test
    void serverUrlOverridesThePort() throws IOException {
        int port = serve(200, POD_LIST);
        Run r = run("--read-only-port", "1", "--server", "http://127.0.0.1:" + port + "/");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("web-node1"), r.out());
    }

    @Test
    void noPodsSaysSoOnStderr() throws IOException {
        int port = serve(200, "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{},\"items\":[]}");
        Run r = run("--server", "http://127.0.0.1:" + port);
        assertEquals(0, r.code());
        assertEquals("", r.out());
        assertEquals("No resources found\n", r.err());
    }

    @Test
    void unreachableKubeletIsOneClearLine() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // free once closed: nothing listens there
        }
        Run r = run("--read-only-port", Integer.toString(port));
        assertEquals(1, r.code());
        assertEquals("", r.out());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("skiff pods: cannot reach the kubelet at http://127.0.0.1:" + port + "/pods"), r.err());
    }

    @Test
    void httpErrorAndGarbageAreClearErrors() throws IOException {
        Run r = run("--server", "http://127.0.0.1:" + serve(500, "internal error\nmore"));
        assertEquals(1, r.code());
        assertEquals("skiff pods: cannot read pods from http://127.0.0.1:" + servers.get(0).getAddress().getPort()
                + "/pods: HTTP 500: internal error\n", r.err().replace("\r\n", "\n"));

        r = run("--server", "http://127.0.0.1:" + serve(200, "not json"));
        assertEquals(1, r.code());
        assertTrue(r.err().contains("is not a PodList"), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
    }

    @Test
    void badServerUrlIsAClearError() {
        Run r = run("--server", "ftp://x");
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("skiff pods: bad --server 'ftp://x'"), r.err());
    }
}
