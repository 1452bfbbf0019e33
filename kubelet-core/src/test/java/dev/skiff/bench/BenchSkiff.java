package dev.skiff.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skiff.volume.mount.LinuxMounter;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** One {@code bin/skiff} process on temp dirs and a free read-only port, logging to a file. */
final class BenchSkiff {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    final Process process;
    final Path log;
    final String node;
    final int port;
    /** The secure port (TLS), its certificate under {@code root/pki}. */
    final int securePort;
    final Path root;

    private BenchSkiff(Process process, Path log, String node, int port, int securePort, Path root) {
        this.process = process;
        this.log = log;
        this.node = node;
        this.port = port;
        this.securePort = securePort;
        this.root = root;
    }

    /** Starts skiff with {@code extraArgs} after the bench's own flags (e.g. the secure port's token file). */
    static BenchSkiff start(Path skiff, Path base, String... extraArgs) throws Exception {
        Path manifests = Files.createDirectories(base.resolve("manifests"));
        Path root = Files.createDirectories(base.resolve("root"));
        Path logs = Files.createDirectories(base.resolve("logs"));
        Path config = base.resolve("kubelet.yaml");
        Files.writeString(config, "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\npodLogsDir: "
                + logs + "\n");
        int port = freePort();
        String node = "bench-" + UUID.randomUUID().toString().substring(0, 6);
        Path log = base.getParent().resolve(base.getFileName() + ".log"); // kept after the run
        int securePort = freePort();
        List<String> cmd = new java.util.ArrayList<>(List.of(skiff.toString(), "--pod-manifest-path", manifests.toString(),
                "--config", config.toString(), "--root-dir", root.toString(), "--hostname-override", node,
                "--read-only-port", Integer.toString(port), "--port", Integer.toString(securePort), "--healthz-port", "0"));
        cmd.addAll(List.of(extraArgs));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new BenchSkiff(p, log, node, port, securePort, root);
    }

    /** The kubelet's --cert-dir (under its root dir): its self-signed kubelet.crt, and admin.token for the CLI. */
    Path certDir() {
        return root.resolve("pki");
    }

    /** The flags that point {@code skiff exec}/{@code port-forward} at this kubelet's secure port and credentials. */
    List<String> securePortArgs() {
        return List.of("--server", "https://127.0.0.1:" + securePort, "--cert-dir", certDir().toString());
    }

    /** An HTTPS client trusting only the certificates of {@code caFile} (Skiff's generated pair). */
    static HttpClient httpsClient(Path caFile) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(caFile)) {
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("skiff-" + i++, c);
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(10)).build(); // a busy 2-core host
    }

    URI url(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    void checkAlive() {
        if (!process.isAlive()) {
            throw new BenchException("skiff exited with code " + process.exitValue() + " (log: " + log + ")");
        }
    }

    void awaitHealthy() throws InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            checkAlive();
            try {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(url("/healthz"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
                last = "HTTP " + r.statusCode() + ": " + r.body().strip();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(50);
        }
        throw new BenchException("skiff not healthy within " + START_TIMEOUT.toSeconds() + " s: " + last);
    }

    /** SIGTERM, then SIGKILL after 20 s. */
    void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    List<String> tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return all.subList(Math.max(0, all.size() - lines), all.size());
        } catch (IOException e) {
            return List.of("(cannot read " + log + ": " + e + ")");
        }
    }

    /** A free TCP port on the loopback (free when asked; nothing holds it after). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    long pid() {
        return process.pid();
    }

    /** The pods at /pods. */
    JsonNode pods(HttpClient http) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(url("/pods")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new BenchException("/pods answered HTTP " + r.statusCode());
        }
        return JSON.readTree(r.body()).path("items");
    }

    /**
     * CPU time (user + system, clock ticks) of the whole process (threads that ended included) when {@code threadPrefix}
     * is empty, else of its live threads whose name starts with it.
     */
    long cpuTicks(String threadPrefix) throws IOException {
        if (threadPrefix.isEmpty()) {
            return ticks(Files.readString(Path.of("/proc", Long.toString(pid()), "stat")));
        }
        long sum = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid()), "task"))) {
            for (Path task : tasks.toList()) {
                String comm;
                String stat;
                try {
                    comm = Files.readString(task.resolve("comm")).strip();
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException e) {
                    continue; // the thread ended
                }
                if (comm.startsWith(threadPrefix)) {
                    sum += ticks(stat);
                }
            }
        }
        return sum;
    }

    /**
     * CPU ticks of the live threads by group: the thread name without a trailing {@code -N}/{@code N} (so
     * {@code prober-exec-3} counts as {@code prober-exec}). Two snapshots subtracted show where a window's CPU went.
     */
    java.util.Map<String, Long> cpuTicksByThreadGroup() throws IOException {
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid()), "task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String group = Files.readString(task.resolve("comm")).strip().replaceAll("-?[0-9]+$", "");
                    out.merge(group, ticks(Files.readString(task.resolve("stat"))), Long::sum);
                } catch (IOException e) {
                    // the thread ended
                }
            }
        }
        return out;
    }

    /** The {@code top} thread groups by CPU between two {@link #cpuTicksByThreadGroup()} snapshots, as "name 0.012". */
    static String topThreadGroups(java.util.Map<String, Long> before, java.util.Map<String, Long> after, double secs,
                                  int top) {
        return after.entrySet().stream()
                .map(e -> java.util.Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
                .filter(e -> e.getValue() > 0)
                .sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed())
                .limit(top)
                .map(e -> String.format(java.util.Locale.ROOT, "%s %.3f", e.getKey(), e.getValue() / TICKS_PER_SECOND / secs))
                .collect(java.util.stream.Collectors.joining(", "));
    }

    /** utime + stime (fields 14 and 15) of a /proc stat line. */
    private static long ticks(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** Resident set size in bytes (VmRSS). */
    long rssBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new BenchException("no VmRSS for pid " + pid());
    }

    /** Clock ticks per second (USER_HZ): 100 on Linux. */
    static final double TICKS_PER_SECOND = 100.0;

    static Path locate() {
        for (Path p : List.of(Path.of("bin", "skiff"), Path.of("..", "bin", "skiff"))) {
            if (Files.isExecutable(p)) {
                return p.toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException("bin/skiff not found: run from the checkout root after `make build`");
    }

    /**
     * A pod of one busybox container {@code sleep} sleeping an hour, grace period 1 s; {@code tail} (lines indented
     * for the container, then for the spec) is appended.
     */
    static String sleepPod(String name, String namespace, String image, String tail) {
        return """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                  namespace: %s
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: sleep
                    image: %s
                    imagePullPolicy: IfNotPresent
                    command: ["sleep", "3600"]
                %s""".formatted(name, namespace, image, tail);
    }

    /** Writes a manifest atomically: a dotfile (which the file source skips) renamed into place. */
    static void writeManifest(Path dir, String name, String yaml) throws IOException {
        Path tmp = dir.resolve("." + name + ".tmp");
        Files.writeString(tmp, yaml);
        Files.move(tmp, dir.resolve(name), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Deletes every file of the manifest directory; says so when it cannot. */
    static void deleteManifests(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            System.out.println("bench: cannot empty " + dir + ": " + e);
        }
    }

    /**
     * The end of a bench, pass or fail: its pods removed (manifests deleted, then waiting until none of
     * {@code namespace} is listed, while skiff runs), skiff stopped and {@code base} deleted. {@code run} may be null.
     */
    static void removeAll(BenchSkiff run, Path base, HttpClient http, String namespace, Duration timeout)
            throws Exception {
        try {
            if (run != null) {
                deleteManifests(base.resolve("manifests"));
                if (run.process.isAlive()) {
                    run.awaitNoPods(http, namespace, timeout);
                }
                run.stop();
            }
        } finally {
            deleteTree(base);
        }
    }

    /** Unmounts what skiff left mounted under {@code root} (its rshared root dir, volumes), then deletes it. */
    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        LinuxMounter mounter = new LinuxMounter();
        try {
            for (Path m : mounter.mountPointsUnder(root)) {
                mounter.unmount(m);
            }
        } catch (IOException e) {
            System.out.println("bench: could not unmount under " + root + ": " + e.getMessage());
            return; // never delete through a mount
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.out.println("bench: could not remove " + root + ": " + e);
        }
    }

    /** Polls /pods until {@code count} pods of {@code namespace} are Running. */
    void awaitRunning(HttpClient http, String namespace, int count, Duration timeout) throws Exception {
        awaitRunning(http, namespace, "", count, timeout);
    }

    /** Polls /pods until {@code count} pods of {@code namespace} whose name starts with {@code namePrefix} are Running. */
    void awaitRunning(HttpClient http, String namespace, String namePrefix, int count, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        int running = 0;
        while (System.nanoTime() < deadline) {
            checkAlive();
            running = 0;
            for (JsonNode p : pods(http)) {
                if (namespace.equals(p.path("metadata").path("namespace").asText())
                        && p.path("metadata").path("name").asText().startsWith(namePrefix)
                        && "Running".equals(p.path("status").path("phase").asText())) {
                    running++;
                }
            }
            if (running >= count) {
                return;
            }
            Thread.sleep(100);
        }
        throw new BenchException(running + " of " + count + " pods Running after " + timeout.toSeconds() + " s");
    }

    /** Polls /pods until no pod of {@code namespace} is listed. */
    void awaitNoPods(HttpClient http, String namespace, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            checkAlive();
            boolean left = false;
            for (JsonNode p : pods(http)) {
                left |= namespace.equals(p.path("metadata").path("namespace").asText());
            }
            if (!left) {
                return;
            }
            Thread.sleep(200);
        }
        throw new BenchException("pods still present " + timeout.toSeconds() + " s after their manifests went");
    }
}
