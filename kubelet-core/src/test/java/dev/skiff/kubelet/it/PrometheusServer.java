package dev.skiff.kubelet.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Debian's {@code prometheus} as a process of a test or bench: on a free loopback port, its configuration, data and
 * log in a temp dir that {@link #close()} removes (kept with {@code -Dskiff.it.keep=true}). {@link #exampleConfig}
 * makes its configuration from {@code examples/monitoring/prometheus.yml}, changing only what differs on a test
 * machine, so what is scraped is what the example scrapes.
 */
public final class PrometheusServer implements AutoCloseable {
    /** The example's directory, from the checkout root (benches) or the kubelet-core module dir (failsafe). */
    public static final Path EXAMPLE = locateExample();
    private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(10);
    private static final int LOG_TAIL_LINES = 40;

    private final Process process;
    private final Path dir;
    private final int port;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ObjectMapper json = new ObjectMapper();

    /** A scrape target as {@code /api/v1/targets} lists it. */
    public record Target(String job, String health, String scrapeUrl, String lastError) {
    }

    /** One series of an instant query's vector: its labels and value. */
    public record Sample(Map<String, String> labels, double value) {
    }

    private PrometheusServer(Process process, Path dir, int port) {
        this.process = process;
        this.dir = dir;
        this.port = port;
    }

    /**
     * The example configuration for a Skiff on loopback port {@code securePort} whose CA is {@code caFile}, with
     * Prometheus's token in {@code tokenFile}, scraping every {@code interval} (the timeout at most as long, which
     * Prometheus requires). Fails when the example no longer has what is replaced, so a change to it is seen here.
     */
    public static String exampleConfig(int securePort, Path caFile, Path tokenFile, Duration interval) throws IOException {
        String yaml = Files.readString(EXAMPLE.resolve("prometheus.yml"), StandardCharsets.UTF_8);
        yaml = replace(yaml, "'127.0.0.1:10250'", "'127.0.0.1:" + securePort + "'", 3);
        yaml = replace(yaml, "/var/lib/kubelet/pki/kubelet.crt", caFile.toString(), 3);
        yaml = replace(yaml, "/etc/skiff/prometheus.token", tokenFile.toString(), 3);
        yaml = replace(yaml, "scrape_interval: 15s", "scrape_interval: " + interval.toSeconds() + "s", 1);
        return replace(yaml, "scrape_timeout: 10s", "scrape_timeout: " + Math.min(10, interval.toSeconds()) + "s", 1);
    }

    private static String replace(String text, String from, String to, int expected) {
        int found = text.split(java.util.regex.Pattern.quote(from), -1).length - 1;
        if (found != expected) {
            throw new IllegalStateException("examples/monitoring/prometheus.yml has " + found + " times '" + from
                    + "', expected " + expected + ": the example changed, adapt PrometheusServer.exampleConfig");
        }
        return text.replace(from, to);
    }

    /**
     * Runs the example's {@code add-prometheus-token.sh} for {@code dir}: a new token in {@code dir/prometheus.token}
     * and its line (user prometheus, group monitoring) in {@code dir/tokens.csv}.
     */
    public static void addToken(Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("sh", EXAMPLE.resolve("add-prometheus-token.sh").toString(), dir.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("add-prometheus-token.sh " + dir + " failed: " + out);
        }
    }

    /** Starts {@code prometheus} with {@code configYaml}; {@link #awaitReady} waits until it serves. */
    public static PrometheusServer start(String configYaml) throws IOException {
        Path dir = Files.createTempDirectory("skiff-prometheus-");
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, configYaml);
        int port = freePort();
        Path log = dir.resolve("prometheus.log");
        List<String> cmd = List.of("prometheus", "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port, "--log.level=info");
        Files.writeString(log, "### " + String.join(" ", cmd) + "\n");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            return new PrometheusServer(p, dir, port);
        } catch (IOException e) {
            deleteTree(dir);
            throw new IOException("cannot run prometheus (Debian's package; hack/install-host-deps.sh installs it): "
                    + e.getMessage(), e);
        }
    }

    public int port() {
        return port;
    }

    public Process process() {
        return process;
    }

    /** Waits until {@code /-/ready} answers 200; fails when the process exits first. */
    public void awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            checkAlive();
            try {
                HttpResponse<String> r = get("/-/ready");
                if (r.statusCode() == 200) {
                    return;
                }
                last = r.statusCode() + " " + r.body().strip();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(200);
        }
        throw new AssertionError("prometheus not ready within " + timeout + " (last: " + last + ")\n" + logTail());
    }

    /** The active targets of {@code /api/v1/targets}. */
    public List<Target> targets() throws IOException, InterruptedException {
        List<Target> out = new ArrayList<>();
        for (JsonNode t : api("/api/v1/targets?state=active").path("activeTargets")) {
            out.add(new Target(t.path("labels").path("job").asText(), t.path("health").asText(),
                    t.path("scrapeUrl").asText(), t.path("lastError").asText()));
        }
        return out;
    }

    /** Polls {@code /api/v1/targets} until every job of {@code jobs} has a target and all are up. */
    public List<Target> awaitTargetsUp(Collection<String> jobs, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Target> last = List.of();
        while (true) {
            checkAlive();
            last = targets();
            List<Target> current = last;
            boolean allUp = jobs.stream().allMatch(j -> current.stream().anyMatch(t -> t.job().equals(j)))
                    && current.stream().filter(t -> jobs.contains(t.job())).allMatch(t -> "up".equals(t.health()));
            if (allUp) {
                return last;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("targets of " + jobs + " not all up within " + timeout + ": " + last + "\n"
                        + logTail());
            }
            Thread.sleep(500);
        }
    }

    /** An instant query ({@code /api/v1/query}) whose result is a vector. */
    public List<Sample> query(String promql) throws IOException, InterruptedException {
        JsonNode data = api("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        if (!"vector".equals(data.path("resultType").asText())) {
            throw new AssertionError("query " + promql + " gave a " + data.path("resultType").asText() + ", not a vector: " + data);
        }
        List<Sample> out = new ArrayList<>();
        for (JsonNode r : data.path("result")) {
            Map<String, String> labels = new LinkedHashMap<>();
            r.path("metric").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
            out.add(new Sample(labels, Double.parseDouble(r.path("value").get(1).asText())));
        }
        return out;
    }

    /** Polls {@link #query} every second until its samples match; fails with the last answer and the log. */
    public List<Sample> awaitQuery(String promql, Predicate<List<Sample>> predicate, Duration timeout, String what)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            checkAlive();
            List<Sample> last = query(promql);
            if (predicate.test(last)) {
                return last;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("query " + promql + ": not " + what + " within " + timeout + "; last answer: "
                        + last + "\ntargets: " + targets() + "\n" + logTail());
            }
            Thread.sleep(1000);
        }
    }

    private JsonNode api(String pathAndQuery) throws IOException, InterruptedException {
        HttpResponse<String> r = get(pathAndQuery);
        JsonNode body = json.readTree(r.body());
        if (r.statusCode() != 200 || !"success".equals(body.path("status").asText())) {
            throw new AssertionError("GET " + pathAndQuery + ": " + r.statusCode() + " " + r.body());
        }
        return body.path("data");
    }

    private HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
                .timeout(HTTP_TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private void checkAlive() {
        if (!process.isAlive()) {
            throw new AssertionError("prometheus exited with " + process.exitValue() + "\n" + logTail());
        }
    }

    /** The last lines Prometheus logged, for failure messages. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("prometheus.log"), StandardCharsets.UTF_8);
            return "----- prometheus log (last lines of " + dir + ") -----\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()))
                    + "\n----- end of prometheus log -----";
        } catch (IOException e) {
            return "<cannot read the prometheus log: " + e + ">";
        }
    }

    /** SIGTERM (SIGKILL after 20 s), then removes its directory. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (!Boolean.getBoolean("skiff.it.keep")) {
            deleteTree(dir);
        }
    }

    /** Deletes a directory tree of plain files, best effort. */
    public static void deleteTree(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("cannot remove " + root + ": " + e);
        }
    }

    private static Path locateExample() {
        for (Path p : List.of(Path.of("examples", "monitoring"), Path.of("..", "examples", "monitoring"))) {
            if (Files.isRegularFile(p.resolve("prometheus.yml"))) {
                return p.toAbsolutePath().normalize();
            }
        }
        return Path.of("examples", "monitoring").toAbsolutePath(); // reading it then says what is missing
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
