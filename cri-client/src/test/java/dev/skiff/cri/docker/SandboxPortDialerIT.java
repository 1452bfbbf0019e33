package dev.skiff.cri.docker;

import dev.skiff.cri.docker.netns.NetnsDialer;
import dev.skiff.cri.v1.NamespaceMode;
import dev.skiff.cri.v1.PodSandboxConfig;
import dev.skiff.cri.v1.RemovePodSandboxRequest;
import dev.skiff.cri.v1.StopPodSandboxRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Port-forward's connections: sockets made in a real sandbox's network namespace to its loopback. */
@Timeout(300)
class SandboxPortDialerIT {
    private static final Duration DIAL = Duration.ofSeconds(10);
    @TempDir
    Path logs;
    private PodFixture pods;
    private SandboxPortDialer dialer;

    @BeforeEach
    void setUp() throws IOException {
        pods = new PodFixture("skiff-netns-it", logs);
        dialer = new SandboxPortDialer(pods.docker);
    }

    @AfterEach
    void tearDown() {
        try {
            dialer.close();
        } finally {
            pods.close();
        }
    }

    @Test
    void dialReachesThePodsLoopbackNotTheHosts() throws Exception {
        // the host listens on the same loopback port: answering from there would be the wrong namespace
        try (ServerSocketChannel host = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            host.configureBlocking(false);
            int port = ((InetSocketAddress) host.getLocalAddress()).getPort();
            String sandboxId = serveOnLoopback(port);

            try (SocketChannel ch = awaitDial(sandboxId, port)) {
                String response = httpGet(ch);
                assertTrue(response.startsWith("HTTP/1.") && response.contains(" 200 "), response);
                assertTrue(response.endsWith("hello-from-pod\n"), response);
            }
            assertNull(host.accept(), "the host's listener on 127.0.0.1:" + port + " got no connection");
        }
    }

    @Test
    void dialerThreadReturnsHomeAndManyDialsLeakNothing() throws Exception {
        int port = freePort();
        String sandboxId = serveOnLoopback(port);
        awaitDial(sandboxId, port).close();
        for (int i = 0; i < 20; i++) { // warm up pools and lazy init before counting
            dialer.dial(sandboxId, port, DIAL).close();
        }
        long fdsBefore = count(Path.of("/proc/self/fd"));
        long threadsBefore = count(Path.of("/proc/self/task"));

        for (int i = 0; i < 500; i++) {
            try (SocketChannel ch = dialer.dial(sandboxId, port, DIAL)) {
                assertTrue(ch.isConnected());
                if (i % 100 == 0) {
                    assertTrue(httpGet(ch).endsWith("hello-from-pod\n"), "dial " + i + " reaches the pod's httpd");
                }
            }
        }

        long fdsAfter = count(Path.of("/proc/self/fd"));
        long threadsAfter = count(Path.of("/proc/self/task"));
        assertTrue(fdsAfter - fdsBefore < 10, "500 dials leak no file descriptors: " + fdsBefore + " before, " + fdsAfter + " after");
        assertTrue(threadsAfter - threadsBefore < 3, "500 dials start no threads: " + threadsBefore + " before, " + threadsAfter + " after");

        String own = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
        int pausePid = pods.docker.inspectContainerCmd(sandboxId).exec().getState().getPidLong().intValue();
        String pod = Files.readSymbolicLink(Path.of("/proc/" + pausePid + "/ns/net")).toString();
        assertNotEquals(own, pod, "the pod has a network namespace of its own");
        List<String> dialerThreads = threadNamespaces(NetnsDialer.THREAD_NAME);
        assertEquals(List.of(own), dialerThreads, "the " + NetnsDialer.THREAD_NAME + " thread is back in Skiff's namespace");
    }

    @Test
    void refusedPortNamesThePortAndTheSandbox() throws Exception {
        int port = freePort();
        String sandboxId = serveOnLoopback(port);
        awaitDial(sandboxId, port).close();

        int closed = port == 65535 ? port - 1 : port + 1; // nothing in the pod listens there
        ConnectException e = assertThrows(ConnectException.class, () -> dialer.dial(sandboxId, closed, DIAL));
        assertTrue(e.getMessage().startsWith("connection refused to port " + closed + " in pod sandbox " + sandboxId + " ("
                + pods.namespace + "/"), e.getMessage());
        assertTrue(e.getMessage().contains("127.0.0.1: Connection refused"), e.getMessage());

        IOException invalid = assertThrows(IOException.class, () -> dialer.dial(sandboxId, 0, DIAL));
        assertTrue(invalid.getMessage().startsWith("invalid port 0 for pod sandbox " + sandboxId), invalid.getMessage());
        // the sandbox still answers after the failures
        dialer.dial(sandboxId, port, DIAL).close();
    }

    @Test
    void stoppedRemovedAndUnknownSandboxesAreNamed() throws Exception {
        PodSandboxConfig config = pods.sandbox().build();
        String sandboxId = pods.run(config);
        String containerId = pods.start(sandboxId, config, pods.container(config, "app", "exec sleep 1000").build());

        IOException notSandbox = assertThrows(IOException.class, () -> dialer.dial(containerId, 80, DIAL));
        assertEquals("pod sandbox " + containerId + " not found", notSandbox.getMessage());

        pods.rt().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(sandboxId).build());
        IOException stopped = assertThrows(IOException.class, () -> dialer.dial(sandboxId, 80, DIAL));
        assertEquals("pod sandbox " + sandboxId + " (" + pods.namespace + "/" + config.getMetadata().getName()
                + ") is not running; port-forward needs a running pod", stopped.getMessage());

        pods.rt().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(sandboxId).build());
        IOException gone = assertThrows(IOException.class, () -> dialer.dial(sandboxId, 80, DIAL));
        assertTrue(gone.getMessage().contains("pod sandbox " + sandboxId), gone.getMessage());
        assertTrue(gone.getMessage().contains("not found"), gone.getMessage());

        IOException empty = assertThrows(IOException.class, () -> dialer.dial("", 80, DIAL));
        assertEquals("pod sandbox id is empty", empty.getMessage());
    }

    @Test
    void hostNetworkSandboxDialsTheHostsLoopback() throws Exception {
        PodSandboxConfig config = PodFixture.withNamespaces(pods.sandbox(), NamespaceMode.NODE, NamespaceMode.POD, NamespaceMode.POD).build();
        String sandboxId = pods.run(config);
        try (ServerSocket host = new ServerSocket()) {
            host.bind(new InetSocketAddress("127.0.0.1", 0));
            host.setSoTimeout(10_000);
            try (SocketChannel ch = dialer.dial(sandboxId, host.getLocalPort(), DIAL);
                 var accepted = host.accept()) {
                ch.write(ByteBuffer.wrap("ping".getBytes(StandardCharsets.US_ASCII)));
                assertEquals("ping", new String(accepted.getInputStream().readNBytes(4), StandardCharsets.US_ASCII));
            }
        }
    }

    /** A pod whose busybox httpd listens on 127.0.0.1:port inside its own network namespace only. */
    private String serveOnLoopback(int port) {
        PodSandboxConfig config = pods.sandbox().build();
        String sandboxId = pods.run(config);
        pods.start(sandboxId, config, pods.container(config, "web",
                "mkdir -p /tmp/www && echo hello-from-pod > /tmp/www/index.html && exec httpd -f -p 127.0.0.1:" + port + " -h /tmp/www").build());
        return sandboxId;
    }

    /** The first successful dial, retried while httpd starts. */
    private SocketChannel awaitDial(String sandboxId, int port) {
        AtomicReference<SocketChannel> channel = new AtomicReference<>();
        AtomicReference<IOException> last = new AtomicReference<>();
        PodFixture.await("a dial to port " + port + " in the pod succeeds (last failure: " + last + ")", () -> {
            try {
                channel.set(dialer.dial(sandboxId, port, DIAL));
                return true;
            } catch (IOException e) {
                last.set(e);
                return false;
            }
        }, Duration.ofSeconds(60));
        return channel.get();
    }

    private static String httpGet(SocketChannel ch) throws IOException {
        ch.socket().setSoTimeout(10_000);
        ch.socket().getOutputStream().write("GET /index.html HTTP/1.0\r\nHost: pod\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        InputStream in = ch.socket().getInputStream();
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    /** The network namespace links of this JVM's threads whose kernel name (comm) is {@code name}. */
    private static List<String> threadNamespaces(String name) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    if (Files.readString(task.resolve("comm")).strip().equals(name)) {
                        found.add(Files.readSymbolicLink(task.resolve("ns/net")).toString());
                    }
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return found;
    }

    private static long count(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
