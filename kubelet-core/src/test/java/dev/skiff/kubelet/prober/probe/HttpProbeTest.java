package dev.skiff.kubelet.prober.probe;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HttpProbeTest {
    private final ProbeNetwork net = new ProbeNetwork(Executors.newSingleThreadExecutor());
    private final HttpProbe probe = new HttpProbe(net, "kube-probe/1.32");
    private final Map<String, Map<String, String>> seenHeaders = new ConcurrentHashMap<>();
    private HttpServer server;

    @AfterEach
    void close() {
        if (server != null) {
            server.stop(0);
        }
        net.close();
    }

    private int serve(HttpServer s) {
        server = s;
        s.setExecutor(Executors.newCachedThreadPool());
        s.createContext("/", this::handle);
        s.start();
        return s.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        Map<String, String> h = new ConcurrentHashMap<>();
        ex.getRequestHeaders().forEach((k, v) -> h.put(k.toLowerCase(), String.join(",", v)));
        seenHeaders.put(ex.getRequestURI().toString(), h);
        switch (path) {
            case "/ok" -> reply(ex, 200, "healthy");
            case "/fail" -> reply(ex, 503, "down");
            case "/big" -> reply(ex, 200, "x".repeat(50_000));
            case "/hop" -> redirect(ex, "/ok");
            case "/away" -> redirect(ex, "http://localhost:1/ok"); // another host name than 127.0.0.1
            case "/loop" -> redirect(ex, "/loop");
            case "/slow" -> {
                try {
                    Thread.sleep(3000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                reply(ex, 200, "late");
            }
            default -> reply(ex, 404, "no");
        }
    }

    private static void reply(HttpExchange ex, int code, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(code, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    private static void redirect(HttpExchange ex, String to) throws IOException {
        ex.getResponseHeaders().set("Location", to);
        ex.sendResponseHeaders(302, -1);
        ex.close();
    }

    private ProbeOutcome get(int port, String path, List<HttpProbe.Header> headers, Duration timeout) throws Exception {
        return probe.probe(HttpProbe.url("HTTP", "127.0.0.1", port, path), headers, timeout).get(20, TimeUnit.SECONDS);
    }

    @Test
    void twoHundredPassesWithTheBodyAndUpstreamHeaders() throws Exception {
        int port = serve(HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0));
        ProbeOutcome o = get(port, "/ok", List.of(new HttpProbe.Header("X-Custom", "yes")), Duration.ofSeconds(2));
        assertEquals(ProbeOutcome.success("healthy"), o);
        Map<String, String> h = seenHeaders.get("/ok");
        assertEquals("kube-probe/1.32", h.get("user-agent"));
        assertEquals("*/*", h.get("accept"));
        assertEquals("yes", h.get("x-custom"));
        assertEquals("close", h.get("connection"));
        assertEquals("127.0.0.1:" + port, h.get("host"));
    }

    @Test
    void theProbesHeadersReplaceTheDefaults() throws Exception {
        int port = serve(HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0));
        get(port, "/ok?x=1", List.of(new HttpProbe.Header("User-Agent", "mine"), new HttpProbe.Header("Host", "app.example")),
                Duration.ofSeconds(2));
        Map<String, String> h = seenHeaders.get("/ok?x=1");
        assertEquals("mine", h.get("user-agent"));
        assertEquals("app.example", h.get("host"));
    }

    @Test
    void anErrorStatusFailsWithUpstreamsMessage() throws Exception {
        int port = serve(HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0));
        assertEquals(ProbeOutcome.failure("HTTP probe failed with statuscode: 503"),
                get(port, "/fail", List.of(), Duration.ofSeconds(2)));
    }

    @Test
    void theBodyIsCutAtTenKib() throws Exception {
        int port = serve(HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0));
        ProbeOutcome o = get(port, "/big", List.of(), Duration.ofSeconds(2));
        assertTrue(o.passed());
        assertEquals(10 * 1024, o.output().length());
    }

    @Test
    void aRedirectToTheSameHostIsFollowed() throws Exception {
        int port = serve(HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0));
        assertEquals(ProbeOutcome.success("healthy"), get(port, "/hop", List.of(), Duration.ofSeconds(2)));
        assertEquals("http://127.0.0.1:" + port + "/hop", seenHeaders.get("/ok").get("referer"));
    }

    @Test
    void aRedirectToAnotherHostIsAWarningNotFollowed() throws Exception {
        int port = serve(HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0));
        ProbeOutcome o = get(port, "/away", List.of(), Duration.ofSeconds(2));
        assertEquals(ProbeOutcome.warning("Probe terminated redirects, Response body: "), o);
        assertTrue(o.passed());
    }

    @Test
    void tenRedirectsStopTheProbe() throws Exception {
        int port = serve(HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0));
        assertEquals(ProbeOutcome.failure("Get \"/loop\": stopped after 10 redirects"),
                get(port, "/loop", List.of(), Duration.ofSeconds(5)));
    }

    @Test
    void aSlowAnswerTimesOut() throws Exception {
        int port = serve(HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0));
        assertEquals(ProbeOutcome.failure("Get \"http://127.0.0.1:" + port + "/slow\": context deadline exceeded "
                + "(Client.Timeout exceeded while awaiting headers)"), get(port, "/slow", List.of(), Duration.ofSeconds(1)));
    }

    @Test
    void aClosedPortIsRefused() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        assertEquals(ProbeOutcome.failure("Get \"http://127.0.0.1:" + port + "/ok\": dial tcp 127.0.0.1:" + port
                + ": connect: connection refused"), get(port, "/ok", List.of(), Duration.ofSeconds(2)));
    }

    @Test
    void httpsIsProbedWithoutCertificateChecks(@TempDir Path dir) throws Exception {
        HttpsServer s = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.setHttpsConfigurator(new HttpsConfigurator(selfSigned(dir)));
        int port = serve(s);
        ProbeOutcome o = probe.probe(HttpProbe.url("HTTPS", "127.0.0.1", port, "/ok"), List.of(), Duration.ofSeconds(5))
                .get(20, TimeUnit.SECONDS);
        assertEquals(ProbeOutcome.success("healthy"), o);
    }

    @Test
    void urlKeepsThePathAndQuery() {
        assertEquals(URI.create("http://10.0.0.5:8080/healthz?full=1"), HttpProbe.url("HTTP", "10.0.0.5", 8080, "/healthz?full=1"));
        assertEquals(URI.create("https://[fd00::5]:443/"), HttpProbe.url("HTTPS", "fd00::5", 443, ""));
    }

    /** A throwaway self-signed key made by the JDK's keytool. */
    private static SSLContext selfSigned(Path dir) throws Exception {
        Path ks = dir.resolve("ks.p12");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-keystore", ks.toString(), "-storetype",
                "PKCS12", "-storepass", "changeit", "-keypass", "changeit", "-alias", "probe", "-keyalg", "RSA",
                "-keysize", "2048", "-dname", "CN=probe-test", "-validity", "2").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool failed");
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(ks)) {
            store.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, "changeit".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }
}
