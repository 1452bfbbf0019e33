package dev.skiff.kubelet.lifecycle;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpServer;
import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.ExecSyncRequest;
import dev.skiff.cri.v1.ExecSyncResponse;
import dev.skiff.kubelet.events.EventRecorder;
import dev.skiff.kubelet.prober.probe.HttpProbe;
import dev.skiff.kubelet.prober.probe.ProbeNetwork;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LifecycleHandler;
import io.fabric8.kubernetes.api.model.LifecycleHandlerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.grpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HookRunnerTest {
    private static final Pod POD = new PodBuilder().withNewMetadata().withName("web").withNamespace("ns").withUid("u1")
            .endMetadata().build();
    private static final Container APP = new ContainerBuilder().withName("app").build();

    private final ProbeNetwork net = new ProbeNetwork(Executors.newSingleThreadExecutor());
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final AtomicReference<ExecSyncRequest> sent = new AtomicReference<>();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final EventRecorder recorder = (target, type, reason, message) -> events.add(reason + ": " + message);
    private final Map<String, String> userAgents = new ConcurrentHashMap<>();
    private HttpServer server;

    @AfterEach
    void close() {
        if (server != null) {
            server.stop(0);
        }
        net.close();
        timer.shutdownNow();
    }

    private HookRunner runner(Function<ExecSyncRequest, ExecSyncResponse> execSync) {
        RuntimeService runtime = (RuntimeService) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[]{RuntimeService.class}, (proxy, method, args) -> {
                    if (!method.getName().equals("execSync")) {
                        throw Status.UNIMPLEMENTED.asRuntimeException();
                    }
                    sent.set((ExecSyncRequest) args[0]);
                    return execSync.apply((ExecSyncRequest) args[0]);
                });
        return new HookRunner(runtime, Executors.newCachedThreadPool(), new HttpProbe(net, HookRunner.USER_AGENT), timer,
                recorder);
    }

    private static Optional<String> get(CompletableFuture<Optional<String>> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    private static LifecycleHandler exec(String... cmd) {
        return new LifecycleHandlerBuilder().withNewExec().withCommand(cmd).endExec().build();
    }

    @Test
    void execPassesOnExitZeroWithoutATimeoutForPostStart() throws Exception {
        HookRunner r = runner(req -> ExecSyncResponse.newBuilder().setExitCode(0).build());
        assertEquals(Optional.empty(), get(r.run(POD, APP, "c1", exec("sh", "-c", "date > /tmp/x"), Optional::empty, null,
                new CompletableFuture<>())));
        assertEquals(0, sent.get().getTimeout(), "postStart exec has no timeout, as upstream's");
        assertEquals(List.of("sh", "-c", "date > /tmp/x"), sent.get().getCmdList());
        assertEquals("c1", sent.get().getContainerId());
    }

    @Test
    void execFailureInUpstreamsWords() throws Exception {
        HookRunner r = runner(req -> ExecSyncResponse.newBuilder().setExitCode(3)
                .setStdout(ByteString.copyFromUtf8("out\n")).setStderr(ByteString.copyFromUtf8("no \"file\"")).build());
        Optional<String> failed = get(r.run(POD, APP, "c1", exec("sh", "-c", "exit 3"), Optional::empty,
                Duration.ofSeconds(30), new CompletableFuture<>()));
        assertEquals(Optional.of("Exec lifecycle hook ([sh -c exit 3]) for Container \"app\" in Pod \"web_ns(u1)\" failed"
                + " - error: command 'sh -c exit 3' exited with 3: no \"file\", message: \"out\\nno \\\"file\\\"\""), failed);
        assertEquals(30, sent.get().getTimeout(), "a preStop exec ends with its grace period");
    }

    @Test
    void execRuntimeErrorAndTimeout() throws Exception {
        HookRunner r = runner(req -> {
            throw Status.NOT_FOUND.withDescription("no such container: c1").asRuntimeException();
        });
        assertEquals(Optional.of("Exec lifecycle hook ([true]) for Container \"app\" in Pod \"web_ns(u1)\" failed - error: "
                + "rpc error: code = NotFound desc = no such container: c1, message: \"\""),
                get(r.run(POD, APP, "c1", exec("true"), Optional::empty, null, new CompletableFuture<>())));
        HookRunner slow = runner(req -> {
            throw Status.DEADLINE_EXCEEDED.asRuntimeException();
        });
        assertTrue(get(slow.run(POD, APP, "c1", exec("sleep", "9"), Optional::empty, Duration.ofSeconds(2),
                new CompletableFuture<>())).orElseThrow().contains("error: command \"sleep 9\" timed out"));
    }

    @Test
    void sleepEndsAfterItsSecondsOrFailsWhenGivenUp() throws Exception {
        HookRunner r = runner(req -> null);
        LifecycleHandler sleep1 = new LifecycleHandlerBuilder().withNewSleep(1L).build();
        long t0 = System.nanoTime();
        assertEquals(Optional.empty(), get(r.run(POD, APP, "c1", sleep1, Optional::empty, null, new CompletableFuture<>())));
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(990), "slept its second");

        CompletableFuture<Void> killed = new CompletableFuture<>();
        CompletableFuture<Optional<String>> long1 = r.run(POD, APP, "c1",
                new LifecycleHandlerBuilder().withNewSleep(600L).build(), Optional::empty, null, killed);
        assertFalse(long1.isDone());
        killed.complete(null);
        assertEquals(Optional.of("Sleep lifecycle hook (600) for Container \"app\" in Pod \"web_ns(u1)\" failed - error: "
                + "container terminated before sleep hook finished"), get(long1));
    }

    private int serve(int status) throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            userAgents.put(ex.getRequestURI().getPath(), ex.getRequestHeaders().getFirst("User-Agent"));
            byte[] body = "bad".getBytes();
            ex.sendResponseHeaders(status, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        return server.getAddress().getPort();
    }

    private static LifecycleHandler httpGet(String scheme, int port, String path) {
        return new LifecycleHandlerBuilder().withNewHttpGet().withScheme(scheme).withPort(new IntOrString(port))
                .withPath(path).endHttpGet().build();
    }

    @Test
    void httpGetToThePodIpPassesOnAnyResponse() throws Exception {
        int port = serve(500);
        HookRunner r = runner(req -> null);
        assertEquals(Optional.empty(), get(r.run(POD, APP, "c1", httpGet("HTTP", port, "/started"),
                () -> Optional.of("127.0.0.1"), null, new CompletableFuture<>())), "upstream checks no status code");
        assertEquals("kube-lifecycle/1.32", userAgents.get("/started"));
    }

    @Test
    void httpGetFailureInUpstreamsWords() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        HookRunner r = runner(req -> null);
        assertEquals(Optional.of("HTTP lifecycle hook (/x) for Container \"app\" in Pod \"web_ns(u1)\" failed - error: "
                        + "Get \"http://127.0.0.1:" + port + "/x\": dial tcp 127.0.0.1:" + port + ": connect: connection refused"),
                get(r.run(POD, APP, "c1", httpGet("HTTP", port, "/x"), () -> Optional.of("127.0.0.1"), Duration.ofSeconds(5),
                        new CompletableFuture<>())));
        assertEquals(Optional.of("HTTP lifecycle hook (/x) for Container \"app\" in Pod \"web_ns(u1)\" failed - error: "
                        + "failed to find networking container: the pod has no IP"),
                get(r.run(POD, APP, "c1", httpGet("HTTP", port, "/x"), Optional::empty, null, new CompletableFuture<>())));
    }

    /** A plain HTTP server that answers 200 to whatever arrives, a TLS hello included (as Go's servers answer it). */
    private int servePlainToAnything() throws Exception {
        ServerSocket s = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!s.isClosed()) {
                try (java.net.Socket c = s.accept()) {
                    c.getInputStream().read(new byte[4096]);
                    c.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .getBytes());
                } catch (java.io.IOException e) {
                    return;
                }
            }
        }, "plain-http-test");
        t.setDaemon(true);
        t.start();
        closers.add(s);
        return s.getLocalPort();
    }

    private final List<AutoCloseable> closers = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeServers() throws Exception {
        for (AutoCloseable c : closers) {
            c.close();
        }
    }

    @Test
    void httpsAnsweredInPlainHttpIsRetriedOverHttp() throws Exception {
        int port = servePlainToAnything();
        HookRunner r = runner(req -> null);
        assertEquals(Optional.empty(), get(r.run(POD, APP, "c1", httpGet("HTTPS", port, "/tls"),
                () -> Optional.of("127.0.0.1"), Duration.ofSeconds(5), new CompletableFuture<>())));
        assertEquals(List.of("LifecycleHTTPFallback: request to HTTPS lifecycle hook 127.0.0.1:" + port
                + " got HTTP response, retry with HTTP succeeded"), events);
    }

    @Test
    void tcpSocketIsNoLifecycleHandler() throws Exception {
        HookRunner r = runner(req -> null);
        LifecycleHandler tcp = new LifecycleHandlerBuilder().withNewTcpSocket().withPort(new IntOrString(80))
                .endTcpSocket().build();
        assertEquals(Optional.of("Cannot run handler: invalid handler: tcpSocket is not supported as a lifecycle handler"),
                get(r.run(POD, APP, "c1", tcp, Optional::empty, null, new CompletableFuture<>())));
    }
}
