package dev.skiff.kubelet.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The secure port over real HTTPS against a running Skiff: its self-signed certificate (generated once, reused after
 * a restart), authentication by client certificate and bearer token, upstream's 401 and 403 for each credential
 * kind, every endpoint it serves with a real pod, the debugging endpoints absent from the read-only port, given
 * cert and key files (EC key in SEC1) and a token file with a bad line refused at start.
 */
class SecurePortIT extends KubeletItSupport {
    private static final String ADMIN_TOKEN = "admin-" + UUID.randomUUID();
    private static final String PROMETHEUS_TOKEN = "prom-" + UUID.randomUUID();
    private static Path pki;
    private static TestPki.Issued clientCa;
    private static TestPki.Issued adminCert;
    private static TestPki.Issued monitoringCert;
    private static TestPki.Issued foreignCert;
    private static Path logDir;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void credentials() throws Exception {
        pki = Files.createTempDirectory("skiff-secure-it-");
        clientCa = TestPki.ca("skiff-it-client-ca");
        adminCert = TestPki.client(clientCa, "cert-admin", List.of("system:masters"));
        monitoringCert = TestPki.client(clientCa, "cert-prometheus", List.of("monitoring"));
        // same subject and groups as the admin, signed by a CA the kubelet does not know
        foreignCert = TestPki.client(TestPki.ca("skiff-it-client-ca"), "cert-admin", List.of("system:masters"));
        Files.writeString(pki.resolve("client-ca.crt"), clientCa.certPem());
        Files.writeString(pki.resolve("tokens.csv"), ADMIN_TOKEN + ",token-admin,1000,\"ops,system:masters\"\n"
                + PROMETHEUS_TOKEN + ",prometheus,1001,monitoring\n");
        Files.writeString(pki.resolve("policy.yaml"), "groups:\n  monitoring: [metrics, stats]\n");
        // a log directory of this test's own under /var/log: a file, a sub directory and a link out of /var/log
        logDir = Files.createDirectories(Path.of("/var/log", "skiff-it-" + UUID.randomUUID().toString().substring(0, 8)));
        Files.writeString(logDir.resolve("app.log"), "line one\nline two\n");
        Files.createDirectories(logDir.resolve("sub"));
        Files.createSymbolicLink(logDir.resolve("escape"), Path.of("/etc/hostname"));
    }

    @AfterAll
    static void removeFiles() throws Exception {
        for (Path root : new Path[]{pki, logDir}) {
            if (root != null && Files.exists(root)) {
                try (var walk = Files.walk(root)) {
                    for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
    }

    @Override
    String[] kubeletArgs() {
        return new String[]{"--address", "127.0.0.1", "--client-ca-file", pki.resolve("client-ca.crt").toString(),
                "--token-auth-file", pki.resolve("tokens.csv").toString(),
                "--authorization-policy-file", pki.resolve("policy.yaml").toString()};
    }

    // ---- clients ----

    private List<X509Certificate> servingChain() throws Exception {
        Path crt = kubelet.rootDir().resolve("pki/kubelet.crt");
        try (var in = Files.newInputStream(crt)) {
            Collection<? extends java.security.cert.Certificate> all = CertificateFactory.getInstance("X.509").generateCertificates(in);
            List<X509Certificate> out = new ArrayList<>();
            all.forEach(c -> out.add((X509Certificate) c));
            return out;
        }
    }

    private HttpClient client(TestPki.Issued cert) throws Exception {
        SSLContext ctx = TestPki.context(servingChain(), cert);
        return HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(10)).build();
    }

    private HttpResponse<String> get(HttpClient http, String token, String path) throws Exception {
        return send(http, token, "GET", path);
    }

    private HttpResponse<String> send(HttpClient http, String token, String method, String path) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + kubelet.securePort() + path))
                .timeout(Duration.ofSeconds(30)).method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> readOnly(String method, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + kubelet.readOnlyPort() + path))
                .timeout(Duration.ofSeconds(30)).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void assertStatus(int want, HttpResponse<String> r) {
        assertEquals(want, r.statusCode(), r.request().method() + " " + r.uri() + ": " + r.body());
    }

    // ---- tests ----

    @Test
    void everyEndpointAnswersAnAdminOverHttps() throws Exception {
        kubelet.writeManifest("web.yaml", podYaml("web", "", container("app", "echo hello-from-app; exec sleep 3600")));
        Pod pod = awaitRunning("web");
        String podName = pod.getMetadata().getName();
        HttpClient byToken = client(null);
        HttpClient byCert = client(adminCert);

        for (String check : List.of("/healthz", "/healthz/ping", "/healthz/log", "/healthz/syncloop", "/healthz/pleg")) {
            HttpResponse<String> r = get(byToken, ADMIN_TOKEN, check);
            assertStatus(200, r);
            assertEquals("ok", r.body(), check);
        }
        HttpResponse<String> head = send(byCert, null, "HEAD", "/healthz");
        assertStatus(200, head);
        assertEquals("", head.body());

        JsonNode pods = json.readTree(get(byCert, null, "/pods").body());
        assertEquals("PodList", pods.path("kind").asText());
        assertTrue(pods.path("items").findValuesAsText("name").contains(podName), pods.toString());

        // /runningpods/ is the PLEG's view, which sees the running container at its next relist (every second)
        JsonNode running = null;
        JsonNode mine = null;
        for (int i = 0; i < 30 && (mine == null || mine.path("spec").path("containers").isEmpty()); i++) {
            if (running != null) {
                Thread.sleep(1000);
            }
            HttpResponse<String> runningResponse = get(byToken, ADMIN_TOKEN, "/runningpods/");
            assertStatus(200, runningResponse);
            running = json.readTree(runningResponse.body());
            assertEquals("PodList", running.path("kind").asText());
            for (JsonNode p : running.path("items")) {
                if (p.path("metadata").path("name").asText().equals(podName)) {
                    mine = p;
                }
            }
        }
        assertTrue(mine != null && !mine.path("spec").path("containers").isEmpty(), running.toString());
        assertEquals(ns, mine.path("metadata").path("namespace").asText());
        assertEquals(uid(pod), mine.path("metadata").path("uid").asText());
        assertEquals("app", mine.path("spec").path("containers").get(0).path("name").asText());
        // the runtime's image of the container, as upstream's ToAPIPod: the kubelet created it by image id
        String runningImage = mine.path("spec").path("containers").get(0).path("image").asText();
        assertTrue(runningImage.equals(image) || runningImage.startsWith("sha256:"), runningImage);
        assertTrue(mine.path("status").isMissingNode() || mine.path("status").isEmpty(), "only names and images: " + mine);

        JsonNode configz = json.readTree(get(byCert, null, "/configz").body()).path("kubeletconfig");
        assertEquals(kubelet.securePort(), configz.path("port").asInt(), configz.toString());
        assertEquals(kubelet.readOnlyPort(), configz.path("readOnlyPort").asInt());
        assertEquals("127.0.0.1", configz.path("address").asText());
        assertEquals(pki.resolve("client-ca.crt").toString(), configz.path("authentication").path("x509").path("clientCAFile").asText());
        assertFalse(configz.path("authentication").path("anonymous").path("enabled").asBoolean(true));
        assertEquals("Policy", configz.path("authorization").path("mode").asText());
        assertEquals("1m0s", configz.path("syncFrequency").asText());

        // /logs/: the node's /var/log as Go's FileServer lists and serves it, never anything outside it
        String dir = "/logs/" + logDir.getFileName() + "/";
        HttpResponse<String> listing = get(byToken, ADMIN_TOKEN, dir);
        assertStatus(200, listing);
        assertTrue(listing.headers().firstValue("Content-Type").orElse("").startsWith("text/html"), listing.headers().toString());
        assertTrue(listing.body().contains("<a href=\"app.log\">app.log</a>") && listing.body().contains("<a href=\"sub/\">sub/</a>"),
                listing.body());
        HttpResponse<String> file = get(byToken, ADMIN_TOKEN, dir + "app.log");
        assertStatus(200, file);
        assertEquals("line one\nline two\n", file.body());
        assertEquals("text/plain; charset=utf-8", file.headers().firstValue("Content-Type").orElse(""));
        HttpResponse<String> top = get(byToken, ADMIN_TOKEN, "/logs/");
        assertStatus(200, top);
        assertTrue(top.body().contains(logDir.getFileName() + "/"), top.body());
        HttpResponse<String> noSlash = get(byToken, ADMIN_TOKEN, "/logs/" + logDir.getFileName());
        assertStatus(301, noSlash);
        assertEquals(logDir.getFileName() + "/", noSlash.headers().firstValue("Location").orElse(""));
        assertStatus(404, get(byToken, ADMIN_TOKEN, dir + "escape"));
        assertStatus(404, get(byToken, ADMIN_TOKEN, dir + "missing.log"));
        HttpResponse<String> dotdot = get(byToken, ADMIN_TOKEN, "/logs/%2e%2e/etc/passwd");
        assertNotEquals(200, dotdot.statusCode(), dotdot.body());
        assertFalse(dotdot.body().contains("root:"), dotdot.body());

        // metrics: the text format by default, OpenMetrics when asked, on both ports
        HttpResponse<String> metrics = get(byToken, ADMIN_TOKEN, "/metrics");
        assertStatus(200, metrics);
        assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                metrics.headers().toString());
        assertTrue(metrics.body().contains("# TYPE kubelet_running_pods gauge"), metrics.body());
        assertTrue(metrics.body().contains("kubelet_started_pods_total"), metrics.body());
        HttpResponse<String> openMetrics = byCert.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:"
                        + kubelet.securePort() + "/metrics/probes"))
                .header("Accept", "application/openmetrics-text; version=1.0.0").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertStatus(200, openMetrics);
        assertTrue(openMetrics.headers().firstValue("Content-Type").orElse("").startsWith("application/openmetrics-text"),
                openMetrics.headers().toString());
        assertTrue(openMetrics.body().endsWith("# EOF\n"), openMetrics.body());
        assertStatus(200, readOnly("GET", "/metrics"));

        // stats: the Summary API and the cAdvisor and resource metrics, on both ports; a pod's CPU rate needs two reads
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        JsonNode summaryPod = null;
        while (summaryPod == null && System.nanoTime() < deadline) {
            HttpResponse<String> summary = get(byToken, ADMIN_TOKEN, "/stats/summary");
            assertStatus(200, summary);
            JsonNode tree = json.readTree(summary.body());
            assertFalse(tree.path("node").path("nodeName").asText().isEmpty(), summary.body());
            for (JsonNode p : tree.path("pods")) {
                if (p.path("podRef").path("name").asText().equals(podName) && p.path("cpu").has("usageNanoCores")) {
                    summaryPod = p;
                }
            }
            if (summaryPod == null) {
                Thread.sleep(1000);
            }
        }
        assertTrue(summaryPod != null, "pod " + podName + " with a CPU rate in /stats/summary");
        assertEquals(ns, summaryPod.path("podRef").path("namespace").asText());
        assertTrue(summaryPod.path("memory").path("workingSetBytes").asLong() > 0, summaryPod.toString());
        JsonNode onlyCpu = json.readTree(readOnly("GET", "/stats/summary?only_cpu_and_memory=true").body());
        assertTrue(onlyCpu.path("pods").size() > 0, onlyCpu.toString());
        String cadvisor = get(byToken, ADMIN_TOKEN, "/metrics/cadvisor").body();
        assertTrue(cadvisor.contains("container_cpu_usage_seconds_total{") && cadvisor.contains("pod=\"" + podName + "\""),
                cadvisor);
        // skiff top pods: the same Summary through the read-only port, as kubectl top pods lays it out
        String topPods = skiff("top", "pods");
        assertTrue(topPods.startsWith("NAME") && topPods.lines().anyMatch(l -> l.matches(java.util.regex.Pattern.quote(podName)
                + " +[0-9]+m +[0-9]+Mi *")), topPods);
        String resource = readOnly("GET", "/metrics/resource").body();
        assertTrue(resource.contains("node_cpu_usage_seconds_total") && resource.contains("pod=\"" + podName + "\""), resource);

        // /containerLogs: the log as it is read, upstream's 404 and 400 answers
        String logsPath = "/containerLogs/" + ns + "/" + podName + "/app";
        HttpResponse<String> containerLog = null;
        for (int i = 0; i < 30 && (containerLog == null || !containerLog.body().contains("hello-from-app")); i++) {
            if (containerLog != null) {
                Thread.sleep(1000); // the copier may not have written the line yet
            }
            containerLog = get(byToken, ADMIN_TOKEN, logsPath);
            assertStatus(200, containerLog);
        }
        assertEquals("hello-from-app\n", containerLog.body());
        String stamped = get(byCert, null, logsPath + "?timestamps=true&tailLines=1").body();
        assertTrue(stamped.matches("\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z hello-from-app\n"), stamped);
        HttpResponse<String> noPod = get(byToken, ADMIN_TOKEN, "/containerLogs/" + ns + "/nope/app");
        assertStatus(404, noPod);
        assertTrue(noPod.body().contains("nope"), noPod.body());
        assertStatus(404, get(byToken, ADMIN_TOKEN, "/containerLogs/" + ns + "/" + podName + "/nope"));
        assertStatus(400, get(byToken, ADMIN_TOKEN, logsPath + "?tailLines=-1"));
        assertStatus(400, get(byToken, ADMIN_TOKEN, logsPath + "?sinceSeconds=abc"));
        assertStatus(404, readOnly("GET", logsPath));

        // the read-only port serves the default handlers only, GET and HEAD only
        assertStatus(200, readOnly("GET", "/pods"));
        assertStatus(404, readOnly("GET", "/runningpods/"));
        assertStatus(404, readOnly("GET", "/configz"));
        assertStatus(404, readOnly("GET", "/logs/"));
        assertStatus(405, readOnly("POST", "/pods"));
    }

    @Test
    void eachCredentialKindIsRefusedAsUpstream() throws Exception {
        HttpClient plain = client(null);
        for (String path : List.of("/pods", "/healthz", "/logs/", "/runningpods/", "/nope")) {
            HttpResponse<String> none = get(plain, null, path);
            assertStatus(401, none);
            assertEquals("Unauthorized", none.body());
            assertStatus(401, get(plain, "not-a-token", path));
            assertStatus(401, get(client(foreignCert), null, path));
            // a certificate from another CA is not rescued by an unknown token either
            assertStatus(401, get(client(foreignCert), "not-a-token", path));
        }
        HttpClient prometheusCert = client(monitoringCert);
        HttpResponse<String> pods = get(plain, PROMETHEUS_TOKEN, "/pods");
        assertStatus(403, pods);
        assertEquals("Forbidden (user=prometheus, verb=get, resource=nodes, subresource(s)=[pods proxy])\n", pods.body());
        HttpResponse<String> logs = get(prometheusCert, null, "/logs/");
        assertStatus(403, logs);
        assertEquals("Forbidden (user=cert-prometheus, verb=get, resource=nodes, subresource(s)=[log])\n", logs.body());
        assertStatus(403, get(plain, PROMETHEUS_TOKEN, "/configz"));
        assertStatus(403, get(plain, PROMETHEUS_TOKEN, "/containerLogs/" + ns + "/web/app"));
        assertStatus(403, get(prometheusCert, null, "/healthz"));
        HttpResponse<String> exec = send(plain, PROMETHEUS_TOKEN, "POST", "/exec/" + ns + "/web/app");
        assertStatus(403, exec);
        assertEquals("Forbidden (user=prometheus, verb=create, resource=nodes, subresource(s)=[proxy])\n", exec.body());
        // nodes/metrics and nodes/stats are granted
        for (String path : List.of("/metrics", "/metrics/cadvisor", "/metrics/resource", "/metrics/probes", "/stats/summary")) {
            assertStatus(200, get(plain, PROMETHEUS_TOKEN, path));
            assertStatus(200, get(prometheusCert, null, path));
        }
    }

    @Test
    void theSelfSignedPairIsGeneratedOnceAndReusedAfterARestart() throws Exception {
        Path crt = kubelet.rootDir().resolve("pki/kubelet.crt");
        Path key = kubelet.rootDir().resolve("pki/kubelet.key");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        List<X509Certificate> chain = servingChain();
        assertEquals(2, chain.size(), "the serving certificate and its CA");
        X509Certificate served = chain.get(0);
        assertTrue(served.getSubjectX500Principal().getName().startsWith("CN=" + kubelet.nodeName() + "@"),
                served.getSubjectX500Principal().getName());
        List<String> sans = new ArrayList<>();
        served.getSubjectAlternativeNames().forEach(n -> sans.add(String.valueOf(n.get(1))));
        assertTrue(sans.containsAll(List.of(kubelet.nodeName(), "localhost", "127.0.0.1")), sans.toString());
        assertArrayEquals(served.getEncoded(), presented().getEncoded());
        byte[] keyBefore = Files.readAllBytes(key);
        byte[] crtBefore = Files.readAllBytes(crt);

        kubelet.stop();
        kubelet.start();
        assertArrayEquals(crtBefore, Files.readAllBytes(crt));
        assertArrayEquals(keyBefore, Files.readAllBytes(key));
        assertArrayEquals(served.getEncoded(), presented().getEncoded(), "the same certificate after a restart");
        assertStatus(200, get(client(null), ADMIN_TOKEN, "/healthz"));
    }

    /** The certificate the secure port presents, read with a raw TLS socket that trusts the generated CA. */
    private X509Certificate presented() throws Exception {
        SSLContext ctx = TestPki.context(servingChain(), null);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), kubelet.securePort())) {
            s.setSoTimeout(10_000);
            s.startHandshake();
            return (X509Certificate) s.getSession().getPeerCertificates()[0];
        }
    }

    @Test
    void givenCertAndKeyFilesAreServedAndAnonymousMayBeAllowed() throws Exception {
        TestPki.Issued servingCa = TestPki.ca("skiff-it-serving-ca");
        TestPki.Issued serving = TestPki.server(servingCa, "skiff-it-serving");
        Path crt = pki.resolve("serving.crt");
        Path key = pki.resolve("serving.key");
        Files.writeString(crt, serving.certPem());
        Files.writeString(key, "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
                + TestPki.sec1Pem(serving.key()));
        try (SkiffKubelet other = new SkiffKubelet("--address", "127.0.0.1", "--tls-cert-file", crt.toString(),
                "--tls-private-key-file", key.toString(), "--anonymous-auth=true")) {
            other.start();
            HttpClient http = HttpClient.newBuilder().sslContext(TestPki.context(List.of(servingCa.cert()), null))
                    .connectTimeout(Duration.ofSeconds(10)).build();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + other.securePort() + "/pods"))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            // anonymous is authenticated, then the policy refuses it
            assertStatus(403, r);
            assertEquals("Forbidden (user=system:anonymous, verb=get, resource=nodes, subresource(s)=[pods proxy])\n", r.body());
            assertFalse(Files.exists(other.rootDir().resolve("pki/kubelet.crt")), "nothing generated when files are given");
        }
    }

    @Test
    void aTokenFileWithABadLineStopsTheStartWithTheFileAndLine() throws Exception {
        String secret = "s3cr3t-" + UUID.randomUUID();
        Path bad = pki.resolve("bad-tokens.csv");
        Files.writeString(bad, ADMIN_TOKEN + ",admin,1\n" + secret + ",only-two-columns\n");
        try (SkiffKubelet other = new SkiffKubelet("--token-auth-file", bad.toString())) {
            other.startWithoutWaiting();
            assertTrue(other.process().waitFor(60, TimeUnit.SECONDS), "skiff kept running with a bad token file\n" + other.logTail());
            assertEquals(1, other.process().exitValue(), other.logTail());
            String log = other.log();
            assertTrue(log.contains("kubelet cannot start: cannot serve the secure port: token file " + bad
                    + ", line 2: must have at least 3 columns (token, user name, user uid), found 2"), log);
            assertFalse(log.contains(secret) || log.contains(ADMIN_TOKEN), "a token leaked into the log");
            assertFalse(new String(Files.readAllBytes(bad), StandardCharsets.UTF_8).isEmpty());
        }
    }
}
