package dev.skiff.kubelet.it;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skiff.volume.block.LoopDevices;
import dev.skiff.volume.mount.LinuxMounter;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * One real {@code bin/skiff} kubelet process for a black-box test: its own root dir, manifest dir, pod logs dir
 * (through a written {@code --config} file), a free read-only port, a free secure port, {@code --healthz-port 0}
 * and a unique node name, so tests never touch the machine's kubelet paths or each other. {@link #start()} may be called again after
 * {@link #kill9()} or {@link #stop()}: the same directories and node name are reused (so static pod uids stay the
 * same), on a new port, with a new log file.
 */
public final class SkiffKubelet implements AutoCloseable {
    /** The launcher, relative to the kubelet-core module dir where failsafe runs (as CriShimProcessIT does). */
    public static final Path LAUNCHER = Path.of("..", "bin", "skiff").toAbsolutePath().normalize();
    /** Generous: on a host loaded with other builds and test JVMs a JVM start has taken over a minute. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(5);
    private static final int LOG_TAIL_LINES = 200;

    private final Path workDir;
    private final Path rootDir;
    private final Path manifestDir;
    private final Path podLogsDir;
    private final Path configFile;
    private final String nodeName;
    private final List<String> extraArgs;
    private final List<Path> logFiles = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ObjectMapper json = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private final Map<String, String> environment = new HashMap<>();
    private Process process;
    private int readOnlyPort;
    private int securePort;

    /** A manifest file {@code GET /manifests/errors} reports. */
    public record ManifestErrorView(String file, int line, String reason) {
    }

    /**
     * @param extraArgs further kubelet flags, e.g. {@code --cluster-domain cluster.local}
     */
    public SkiffKubelet(String... extraArgs) throws IOException {
        this.workDir = Files.createTempDirectory("skiff-it-");
        this.rootDir = Files.createDirectories(workDir.resolve("root"));
        this.manifestDir = Files.createDirectories(workDir.resolve("manifests"));
        this.podLogsDir = Files.createDirectories(workDir.resolve("pod-logs"));
        this.configFile = workDir.resolve("kubelet-config.yaml");
        // short: pod names are <name>-<node>, and hostnames are cut at 63 characters
        this.nodeName = "it-" + UUID.randomUUID().toString().substring(0, 8);
        this.extraArgs = List.of(extraArgs);
        Files.writeString(configFile, "apiVersion: kubelet.config.k8s.io/v1beta1\n"
                + "kind: KubeletConfiguration\n"
                + "podLogsDir: " + podLogsDir + "\n"
                // the suites share the machine's Docker: image GC must never take their test images
                + "imageGCHighThresholdPercent: 100\n");
    }

    /** Environment variables for the next {@link #start()} (e.g. NOTIFY_SOCKET), on top of this process's. */
    public void environment(Map<String, String> env) {
        environment.putAll(env);
    }

    public String nodeName() {
        return nodeName;
    }

    public Path rootDir() {
        return rootDir;
    }

    public Path manifestDir() {
        return manifestDir;
    }

    public Path podLogsDir() {
        return podLogsDir;
    }

    /** The static pod name a manifest's {@code metadata.name} becomes on this node. */
    public String podName(String manifestName) {
        return manifestName + "-" + nodeName;
    }

    public int readOnlyPort() {
        return readOnlyPort;
    }

    /** The secure port (TLS) of the running kubelet. */
    public int securePort() {
        return securePort;
    }

    /** The running java process (bin/skiff execs java, so this is the JVM itself). */
    public Process process() {
        return process;
    }

    /** Launches {@code bin/skiff} and waits until {@code /healthz} answers 200. */
    public void start() throws IOException, InterruptedException {
        startWithoutWaiting();
        awaitHealthy();
    }

    /** Launches {@code bin/skiff} and returns at once (it may be waiting for its runtime). */
    public void startWithoutWaiting() throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("kubelet already running, pid " + process.pid());
        }
        readOnlyPort = freePort();
        securePort = freePort();
        Path logFile = workDir.resolve("skiff-" + (logFiles.size() + 1) + ".log");
        logFiles.add(logFile);
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString(),
                "--config", configFile.toString(),
                "--pod-manifest-path", manifestDir.toString(),
                "--root-dir", rootDir.toString(),
                "--hostname-override", nodeName,
                "--read-only-port", Integer.toString(readOnlyPort),
                "--port", Integer.toString(securePort),
                "--healthz-port", "0"));
        if (extraArgs.stream().noneMatch(a -> a.startsWith("--embedded-dns"))) {
            // one cluster DNS per host address: only a test that asks for it (DnsPodsIT) binds the bridge's port 53
            cmd.add("--embedded-dns=false");
        }
        cmd.addAll(extraArgs);
        Files.writeString(logFile, "### " + String.join(" ", cmd) + "\n");
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        pb.environment().putAll(environment);
        process = pb.start();
    }

    /** Waits until {@code /healthz} answers 200 (fails when the process exits first). */
    public void awaitHealthy() throws InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("skiff exited with " + process.exitValue() + " before /healthz was ok\n" + logTail());
            }
            try {
                HttpResponse<String> r = get("/healthz");
                if (r.statusCode() == 200) {
                    return;
                }
                last = r.statusCode() + " " + r.body();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(250);
        }
        throw new AssertionError("skiff /healthz not ok within " + START_TIMEOUT + " (last: " + last + ")\n" + logTail());
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + readOnlyPort + path))
                .timeout(HTTP_TIMEOUT).GET().build();
        return http.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private String getOk(String path) {
        try {
            HttpResponse<String> r = get(path);
            if (r.statusCode() != 200) {
                throw new AssertionError("GET " + path + ": " + r.statusCode() + " " + r.body() + "\n" + logTail());
            }
            return r.body();
        } catch (ConnectException e) {
            throw new AssertionError("GET " + path + ": kubelet not answering (" + e + ")\n" + logTail(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** What {@code GET /healthz} answered. */
    public record Health(int status, String body) {
    }

    /** {@code GET /healthz} once, whatever it answers (a kubelet that does not answer fails the test). */
    public Health healthz() {
        try {
            HttpResponse<String> r = get("/healthz");
            return new Health(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new AssertionError("GET /healthz: kubelet not answering (" + e + ")\n" + logTail(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code GET /pods}. */
    public PodList pods() {
        String body = getOk("/pods");
        try {
            return json.readValue(body, PodList.class);
        } catch (IOException e) {
            throw new AssertionError("GET /pods is no PodList: " + e + "\n" + body, e);
        }
    }

    /** {@code GET /persistentvolumes}. */
    public io.fabric8.kubernetes.api.model.PersistentVolumeList persistentVolumes() {
        return read("/persistentvolumes", io.fabric8.kubernetes.api.model.PersistentVolumeList.class);
    }

    /** {@code GET /persistentvolumeclaims}. */
    public io.fabric8.kubernetes.api.model.PersistentVolumeClaimList persistentVolumeClaims() {
        return read("/persistentvolumeclaims", io.fabric8.kubernetes.api.model.PersistentVolumeClaimList.class);
    }

    /** {@code GET /deployments}. */
    public io.fabric8.kubernetes.api.model.apps.DeploymentList deployments() {
        return read("/deployments", io.fabric8.kubernetes.api.model.apps.DeploymentList.class);
    }

    /** {@code GET /daemonsets}. */
    public io.fabric8.kubernetes.api.model.apps.DaemonSetList daemonSets() {
        return read("/daemonsets", io.fabric8.kubernetes.api.model.apps.DaemonSetList.class);
    }

    /** {@code GET /jobs}. */
    public io.fabric8.kubernetes.api.model.batch.v1.JobList jobs() {
        return read("/jobs", io.fabric8.kubernetes.api.model.batch.v1.JobList.class);
    }

    private <T> T read(String path, Class<T> type) {
        String body = getOk(path);
        try {
            return json.readValue(body, type);
        } catch (IOException e) {
            throw new AssertionError("GET " + path + " is no " + type.getSimpleName() + ": " + e + "\n" + body, e);
        }
    }

    /** The pod named {@code <manifestName>-<node>} from {@code /pods}, if listed. */
    public Optional<Pod> pod(String manifestName) {
        String name = podName(manifestName);
        return pods().getItems().stream().filter(p -> name.equals(p.getMetadata().getName())).findFirst();
    }

    /**
     * Polls {@code /pods} every 200 ms until the pod {@code <manifestName>-<node>} is listed and matches; fails
     * with the last seen pod and the kubelet's log when it does not within {@code timeout}.
     */
    public Pod awaitPod(String manifestName, Predicate<Pod> predicate, Duration timeout, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Optional<Pod> last = Optional.empty();
        while (true) {
            last = pod(manifestName);
            if (last.isPresent() && predicate.test(last.get())) {
                return last.get();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("pod " + podName(manifestName) + " not " + what + " within " + timeout
                        + "; last seen: " + last.map(this::toJson).orElse("<not listed>") + "\n" + logTail());
            }
            Thread.sleep(200);
        }
    }

    /** Polls until the pod is no longer listed in {@code /pods}. */
    public void awaitPodGone(String manifestName, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<Pod> p = pod(manifestName);
            if (p.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("pod " + podName(manifestName) + " still listed after " + timeout + ": "
                        + toJson(p.get()) + "\n" + logTail());
            }
            Thread.sleep(200);
        }
    }

    /** {@code GET /manifests/errors}. */
    public List<ManifestErrorView> manifestErrors() {
        String body = getOk("/manifests/errors");
        try {
            return json.readValue(body, new TypeReference<List<ManifestErrorView>>() {
            });
        } catch (IOException e) {
            throw new AssertionError("GET /manifests/errors is no list of errors: " + e + "\n" + body, e);
        }
    }

    /** Writes a manifest atomically: a dotfile (which the file source skips) renamed into place. */
    public Path writeManifest(String fileName, String yaml) throws IOException {
        Path target = manifestDir.resolve(fileName);
        Path tmp = manifestDir.resolve("." + fileName + "." + UUID.randomUUID().toString().substring(0, 6) + ".tmp");
        Files.writeString(tmp, yaml);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return target;
    }

    public void deleteManifest(String fileName) throws IOException {
        Files.delete(manifestDir.resolve(fileName));
    }

    /** SIGKILL to the JVM: no shutdown hooks run, the pods stay. */
    public void kill9() throws InterruptedException {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            throw new AssertionError("skiff pid " + process.pid() + " survived SIGKILL for 20 s");
        }
    }

    /** SIGTERM, as systemd stops it; waits for the exit and returns the exit code. */
    public int stop() throws InterruptedException {
        if (process == null || !process.isAlive()) {
            return process == null ? -1 : process.exitValue();
        }
        process.destroy();
        if (!process.waitFor(45, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("skiff did not exit within 45 s of SIGTERM\n" + logTail());
        }
        return process.exitValue();
    }

    /** Everything the kubelet wrote, over all its starts. */
    public String log() {
        StringBuilder b = new StringBuilder();
        for (Path f : logFiles) {
            try {
                b.append(Files.readString(f, StandardCharsets.UTF_8));
            } catch (IOException e) {
                b.append("<cannot read ").append(f).append(": ").append(e).append(">\n");
            }
        }
        return b.toString();
    }

    /** The last lines of {@link #log()}, for failure messages. */
    public String logTail() {
        String[] lines = log().split("\n", -1);
        int from = Math.max(0, lines.length - LOG_TAIL_LINES);
        return "----- skiff log (" + (lines.length - from) + " last lines of " + workDir + ") -----\n"
                + String.join("\n", List.of(lines).subList(from, lines.length)) + "\n----- end of skiff log -----";
    }

    public String toJson(Object o) {
        try {
            return json.writeValueAsString(o);
        } catch (IOException e) {
            return String.valueOf(o);
        }
    }

    /** Kills the kubelet (SIGKILL) if it still runs; its pods keep running. */
    public void killProcess() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
        }
    }

    /**
     * Kills the kubelet if it still runs and removes the work dir (set -Dskiff.it.keep=true to keep it). Remove the
     * pods' containers before: a container's mount namespace holds its volumes (and their loop devices) open.
     */
    @Override
    public void close() throws InterruptedException {
        killProcess();
        // even when kept: a left mount would outlive the test. Volumes first, then the loop devices of persistent
        // volumes (a backing file held open keeps the root dir's own bind mount busy), then that bind.
        unmountAllUnder(workDir);
        detachLoopDevicesUnder(workDir);
        unmountAllUnder(workDir);
        if (Boolean.getBoolean("skiff.it.keep")) {
            return;
        }
        try (Stream<Path> walk = Files.walk(workDir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // e.g. still bind-mounted by a container being removed: leave it to /tmp's cleanup
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // best effort
        }
    }

    /** Volumes, subPath binds and the root dir's own shared bind: unmounted deepest first, so nothing is deleted through them. */
    static void unmountAllUnder(Path dir) {
        LinuxMounter mounter = new LinuxMounter();
        try {
            for (int round = 0; round < 3; round++) {
                List<Path> mounts = mounter.mountPointsUnder(dir);
                if (mounts.isEmpty()) {
                    return;
                }
                for (Path m : mounts) {
                    try {
                        mounter.unmount(m);
                    } catch (IOException e) {
                        System.err.println("cannot unmount " + m + ": " + e.getMessage());
                    }
                }
            }
        } catch (IOException e) {
            System.err.println("cannot list mounts under " + dir + ": " + e.getMessage());
        }
    }

    /** Loop devices attached to backing files under {@code dir} (persistent volumes of pods still running). */
    static void detachLoopDevicesUnder(Path dir) {
        LoopDevices loops = new LoopDevices();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".img")).toList()) {
                try {
                    loops.detach(f);
                } catch (IOException e) {
                    System.err.println("cannot detach the loop device of " + f + ": " + e.getMessage());
                }
            }
        } catch (IOException | UncheckedIOException e) {
            System.err.println("cannot look for loop devices under " + dir + ": " + e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
