package dev.skiff.cri.docker;

import dev.skiff.cri.v1.ExecRequest;
import dev.skiff.cri.v1.PodSandboxConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The streaming server against the real Go clients: Debian's kubectl (1.32) runs {@code kubectl
 * exec} against a stand-in API server that answers discovery and the pod, and hands the exec
 * request, bytes untouched, to a URL the shim's Exec returned: SPDY/3.1 through Go's
 * spdystream ({@code KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false}) and WebSocket v5, without and
 * with a terminal ({@code script} gives kubectl a pseudo-terminal).
 */
class KubectlInteropIT {
    private static final String POD = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"default\"},"
            + "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]},\"status\":{\"phase\":\"Running\"}}";
    private static final Map<String, String> DISCOVERY = Map.of(
            "/version", "{\"major\":\"1\",\"minor\":\"32\",\"gitVersion\":\"v1.32.0\"}",
            "/api", "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":[{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":\"127.0.0.1\"}]}",
            "/apis", "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[]}",
            "/api/v1", "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":["
                    + "{\"name\":\"pods\",\"singularName\":\"pod\",\"namespaced\":true,\"kind\":\"Pod\",\"verbs\":[\"get\",\"list\"]},"
                    + "{\"name\":\"pods/exec\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"PodExecOptions\",\"verbs\":[\"create\",\"get\"]}]}");

    @TempDir
    Path logs;
    @TempDir
    Path home;
    private PodFixture pods;
    private String containerId;
    private ServerSocket api;
    private final AtomicReference<String> execUrl = new AtomicReference<>();

    @BeforeEach
    void setUp() throws IOException {
        pods = new PodFixture("skiff-kubectl-it", logs);
        PodSandboxConfig sandbox = pods.sandbox().build();
        String sandboxId = pods.run(sandbox);
        containerId = pods.start(sandboxId, sandbox, pods.container(sandbox, "c", "sleep 3600").build());
        api = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::serve, "fake-apiserver");
        accept.setDaemon(true);
        accept.start();
    }

    @AfterEach
    void tearDown() throws IOException {
        api.close();
        pods.close();
    }

    @Test
    void kubectlExecOverSpdyAndWebSocket() throws Exception {
        for (String webSockets : List.of("false", "true")) {
            useExec(false, "head -c 300000 /dev/zero | tr '\\000' x; echo; echo to-stderr >&2; read l; echo got:$l; exit 5");
            Result r = kubectl(webSockets, List.of("kubectl", "--server=http://127.0.0.1:" + api.getLocalPort(), "exec", "-i", "p", "--", "sh"), "hello\n");
            assertEquals(5, r.exit, "exit code passed through (" + webSockets + "): " + r.err);
            assertTrue(r.out.startsWith("x".repeat(300000) + "\n"), "300 kB of output, past SPDY's 64 KiB window (" + webSockets + ")");
            assertTrue(r.out.endsWith("got:hello\n"), r.out.substring(Math.max(0, r.out.length() - 100)));
            assertEquals("to-stderr\ncommand terminated with exit code 5\n", r.err);
        }
    }

    @Test
    void kubectlExecWithATerminalSeesItsSize() throws Exception {
        for (String webSockets : List.of("false", "true")) {
            // Docker 20.10 (API 1.41) sizes an exec's terminal only after it started: wait for the size
            useExec(true, "n=0; while [ $n -lt 300 ]; do s=$(stty size 2>/dev/null); case \"$s\" in [1-9]*) break;; esac; n=$((n+1)); sleep 0.1; done; "
                    + "echo size:$s; read l; echo got:$l; exit 3");
            String kubectl = "stty cols 77 rows 22; kubectl --server=http://127.0.0.1:" + api.getLocalPort() + " exec -i -t p -- sh";
            Result r = kubectl(webSockets, List.of("script", "-qec", kubectl, "/dev/null"), "hello\n");
            assertEquals(3, r.exit, r.out);
            assertTrue(r.out.contains("size:22 77\r\n"), "the terminal's size reached the exec (" + webSockets + "): " + r.out);
            assertTrue(r.out.contains("got:hello\r\n"), r.out);
            assertTrue(r.out.contains("command terminated with exit code 3"), r.out);
        }
    }

    private void useExec(boolean tty, String script) {
        execUrl.set(pods.rt().exec(ExecRequest.newBuilder().setContainerId(containerId).addCmd("sh").addCmd("-c").addCmd(script)
                .setStdin(true).setStdout(true).setStderr(!tty).setTty(tty).build()).getUrl());
    }

    private record Result(int exit, String out, String err) {}

    private Result kubectl(String webSockets, List<String> command, String stdin) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", webSockets);
        pb.environment().put("HOME", home.toString()); // kubectl's discovery cache stays in the test's directory
        pb.environment().remove("KUBECONFIG");
        Process p = pb.start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
            in.flush();
            Thread.sleep(2000); // script passes stdin's end on as ^D; give the exec time to read first
        }
        var out = new java.util.concurrent.CompletableFuture<byte[]>();
        var err = new java.util.concurrent.CompletableFuture<byte[]>();
        new Thread(() -> out.complete(readAll(p.getInputStream()))).start();
        new Thread(() -> err.complete(readAll(p.getErrorStream()))).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "kubectl did not finish");
        return new Result(p.exitValue(), new String(out.get(30, TimeUnit.SECONDS), StandardCharsets.UTF_8),
                new String(err.get(30, TimeUnit.SECONDS), StandardCharsets.UTF_8));
    }

    private static byte[] readAll(InputStream in) {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    /** One thread per kubectl connection: discovery and the pod as JSON, the exec handed to the streaming URL. */
    private void serve() {
        while (!api.isClosed()) {
            try {
                Socket c = api.accept();
                Thread t = new Thread(() -> handle(c), "fake-apiserver-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void handle(Socket client) {
        try (client) {
            InputStream in = client.getInputStream();
            byte[] head = readHead(in);
            String text = new String(head, StandardCharsets.ISO_8859_1);
            String[] requestLine = text.substring(0, text.indexOf("\r\n")).split(" ");
            String path = requestLine[1].split("\\?")[0];
            OutputStream out = client.getOutputStream();
            if (!path.endsWith("/exec")) {
                String body = DISCOVERY.getOrDefault(path, POD);
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                        .getBytes(StandardCharsets.UTF_8));
                return;
            }
            URI target = URI.create(execUrl.get());
            try (Socket upstream = new Socket(target.getHost(), target.getPort())) {
                String rest = text.substring(text.indexOf("\r\n"));
                upstream.getOutputStream().write((requestLine[0] + " " + target.getRawPath() + " HTTP/1.1" + rest).getBytes(StandardCharsets.ISO_8859_1));
                Thread back = new Thread(() -> copy(upstream, client), "fake-apiserver-back");
                back.start();
                copy(client, upstream);
                back.join(120_000);
            }
        } catch (IOException | InterruptedException e) {
            // kubectl went away
        }
    }

    private static byte[] readHead(InputStream in) throws IOException {
        List<Byte> bytes = new ArrayList<>();
        int b;
        while ((b = in.read()) >= 0) {
            bytes.add((byte) b);
            int n = bytes.size();
            if (n >= 4 && bytes.get(n - 4) == '\r' && bytes.get(n - 3) == '\n' && bytes.get(n - 2) == '\r' && bytes.get(n - 1) == '\n') {
                break;
            }
        }
        byte[] out = new byte[bytes.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = bytes.get(i);
        }
        return out;
    }

    private static void copy(Socket from, Socket to) {
        try {
            from.getInputStream().transferTo(to.getOutputStream());
            to.shutdownOutput();
        } catch (IOException e) {
            // one side closed
        }
    }
}
