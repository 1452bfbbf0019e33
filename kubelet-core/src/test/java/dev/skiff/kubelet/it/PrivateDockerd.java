package dev.skiff.kubelet.it;

import dev.skiff.volume.mount.LinuxMounter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A dockerd of a test's own, beside the machine's one, for tests that must restart Docker or fill its disk. It
 * has its own everything: data-root, exec-root (so its own managed containerd, runc state and netns), pidfile,
 * socket {@code workDir/docker.sock}, an empty {@code --config-file} (the machine's daemon.json is never read), its
 * own bridge with an address from an unused {@code 10.213.x.0/24}, {@code --iptables=false --ip-masq=false
 * --ip-forward=false} (the main daemon's chains and sysctls are never touched) and a containerd namespace of its
 * own (which matters when a system containerd at /run/containerd/containerd.sock is shared). It never signals or
 * reconfigures the machine's dockerd; {@link #close()} removes everything it made even after a failed test.
 */
public final class PrivateDockerd implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    /** dockerd gives each container 10 s to stop on SIGTERM (its shutdown-timeout), then kills it. */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(120);
    /** sun_path is 108 bytes; containerd puts sockets a few levels below the exec-root. */
    private static final int MAX_SOCKET_PATH = 100;
    private static final String SUBNET_PREFIX = "10.213.";
    private static final int LOG_TAIL_LINES = 60;

    private final Path workDir;
    private final Path dataRoot;
    private final boolean dataRootIsOurs;
    private final Path execRoot;
    private final boolean execRootIsTemp;
    private final Path socket;
    private final Path pidFile;
    private final Path logFile;
    private final Path configFile;
    private final String id;
    private final String bridge;
    private String bridgeAddress;
    private Process process;
    private boolean closed;

    /**
     * Fails, never skips, when a private dockerd cannot run here: integration tests run as root on a machine that
     * hack/install-host-deps.sh prepared, and there it can.
     */
    public static void requireAvailable() {
        unavailableReason().ifPresent(r -> {
            throw new AssertionError("a private dockerd cannot run here: " + r
                    + " (integration tests run as root, after hack/install-host-deps.sh)");
        });
    }

    /** Empty when a private dockerd can run here; otherwise the reason. */
    static Optional<String> unavailableReason() {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            return Optional.of("a private dockerd needs Linux");
        }
        try {
            String status = Files.readString(Path.of("/proc/self/status"));
            boolean root = status.lines().anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[2].equals("0"));
            if (!root) {
                return Optional.of("a private dockerd needs root (its own bridge, mounts, containerd)");
            }
        } catch (IOException e) {
            return Optional.of("cannot read /proc/self/status: " + e.getMessage());
        }
        for (String tool : List.of("dockerd", "docker", "ip", "tar", "bash")) {
            if (which(tool).isEmpty()) {
                return Optional.of(tool + " not found on PATH");
            }
        }
        if (!Files.isExecutable(Path.of("/bin/busybox"))) {
            return Optional.of("/bin/busybox missing (the test image is built from it)");
        }
        if (buildScript().isEmpty()) {
            return Optional.of("hack/build-test-images.sh not found above " + Path.of("").toAbsolutePath());
        }
        return Optional.empty();
    }

    /** Starts a dockerd of its own under workDir (data-root, exec-root, pidfile, socket workDir/docker.sock), waits until it answers (timeout 60 s). */
    public static PrivateDockerd start(Path workDir) throws IOException, InterruptedException {
        return start(workDir, null);
    }

    /**
     * As {@link #start(Path)} with the data-root elsewhere (e.g. a small tmpfs or loop filesystem the caller
     * mounted and unmounts). {@link #close()} unmounts what dockerd left below it but leaves it and its files.
     */
    public static PrivateDockerd start(Path workDir, Path dataRoot) throws IOException, InterruptedException {
        PrivateDockerd d = new PrivateDockerd(workDir.toAbsolutePath().normalize(),
                dataRoot == null ? null : dataRoot.toAbsolutePath().normalize());
        try {
            d.createBridge();
            d.launch();
        } catch (IOException | InterruptedException | RuntimeException e) {
            d.close();
            throw e;
        }
        return d;
    }

    private PrivateDockerd(Path workDir, Path dataRoot) throws IOException {
        this.workDir = Files.createDirectories(workDir);
        this.dataRootIsOurs = dataRoot == null;
        this.dataRoot = Files.createDirectories(dataRoot == null ? workDir.resolve("data") : dataRoot);
        this.socket = workDir.resolve("docker.sock");
        if (socket.toString().length() > MAX_SOCKET_PATH) {
            throw new IOException("work dir too long for a unix socket path: " + workDir);
        }
        this.pidFile = workDir.resolve("docker.pid");
        this.logFile = workDir.resolve("dockerd.log");
        this.configFile = workDir.resolve("daemon.json");
        Files.writeString(configFile, "{}\n");
        this.id = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        this.bridge = "skpd" + id; // 12 characters, IFNAMSIZ allows 15
        // containerd's sockets live at <exec-root>/containerd/containerd-debug.sock: keep that within sun_path
        Path preferred = workDir.resolve("exec");
        if (preferred.toString().length() + 40 <= MAX_SOCKET_PATH) {
            this.execRoot = Files.createDirectories(preferred);
            this.execRootIsTemp = false;
        } else {
            this.execRoot = Files.createTempDirectory(Path.of("/tmp"), "skpd-");
            this.execRootIsTemp = true;
        }
    }

    public String endpoint() {
        return "unix://" + socket;
    }

    public Path socket() {
        return socket;
    }

    /** The name of its own bridge (deleted by {@link #close()}). */
    public String bridge() {
        return bridge;
    }

    public Path dataRoot() {
        return dataRoot;
    }

    /** The dockerd's pid while it runs. */
    public long pid() {
        Process p = process;
        if (p == null || !p.isAlive()) {
            throw new IllegalStateException("private dockerd not running");
        }
        return p.pid();
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Imports the test image under {@code tag}, as hack/build-test-images.sh does for the machine's dockerd. */
    public void importBusybox(String tag) {
        Path script = buildScript().orElseThrow(() -> new IllegalStateException("hack/build-test-images.sh not found"));
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString());
        pb.environment().put("IMAGE", tag);
        pb.environment().put("DOCKER_HOST", endpoint());
        pb.environment().remove("DOCKER_CONTEXT");
        run(pb, "build-test-images.sh IMAGE=" + tag);
    }

    /** Runs the docker CLI against this daemon; returns stdout, throws with stderr on failure. */
    public String docker(String... args) {
        List<String> cmd = new ArrayList<>(List.of("docker", "-H", endpoint()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("DOCKER_HOST");
        pb.environment().remove("DOCKER_CONTEXT");
        return run(pb, String.join(" ", cmd));
    }

    /** SIGTERM and wait for the exit, as a dockerd restart does: its containers stop (no live-restore). */
    public void stop() {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                killLeftovers();
                throw new IllegalStateException("private dockerd pid " + p.pid() + " did not exit within "
                        + STOP_TIMEOUT + " of SIGTERM; killed\n" + logTail());
            }
            // its managed containerd and the shims follow dockerd out; wait for them, so a restart finds no stale state
            awaitNoLeftovers(Duration.ofSeconds(15));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping the private dockerd", e);
        }
    }

    /**
     * SIGKILL to dockerd, as a crash: no container is stopped by it, its clients' connections drop at once. Its
     * managed containerd is killed too (it hangs on the log pipe dockerd held, and the next dockerd would wait for
     * it in vain); the container shims live on, as they do when the whole daemon dies.
     */
    public void kill() throws Exception {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroyForcibly();
        if (!p.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            throw new IllegalStateException("private dockerd pid " + p.pid() + " did not exit on SIGKILL");
        }
        killContainerd();
    }

    /** Its managed containerd, left behind by a SIGKILLed dockerd (it hangs on dockerd's log pipe), and waits for it. */
    private void killContainerd() throws IOException {
        for (ProcessHandle h : leftovers()) {
            if (h.info().command().orElse("").endsWith("/containerd")) {
                h.destroyForcibly();
                try {
                    h.onExit().get(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted waiting for containerd pid " + h.pid(), e);
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    throw new IOException("private dockerd: leftover containerd pid " + h.pid() + " did not exit", e);
                }
            }
        }
    }

    /** Starts it again with the same dirs and waits until it answers. */
    public void startAgain() throws IOException, InterruptedException {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        if (isRunning()) {
            throw new IllegalStateException("private dockerd still running, pid " + process.pid());
        }
        try {
            launch();
        } catch (IOException e) {
            if (process.isAlive()) {
                throw e;
            }
            // on a loaded host the containerd it starts can take longer than dockerd waits for it ("timeout waiting
            // for containerd to start"): once more, after that containerd is gone
            System.err.println("private dockerd: did not come up again, retrying once: " + e.getMessage().lines().findFirst().orElse(""));
            killContainerd();
            launch();
        }
    }

    /** Removes its containers, stops it, unmounts what is left below its dirs, removes its bridge and workDir. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (isRunning()) {
            try {
                String ids = docker("ps", "-aq").trim();
                if (!ids.isEmpty()) {
                    List<String> rm = new ArrayList<>(List.of("rm", "-f", "-v"));
                    rm.addAll(List.of(ids.split("\\s+")));
                    docker(rm.toArray(String[]::new));
                }
            } catch (RuntimeException e) {
                System.err.println("private dockerd: cannot remove its containers: " + e.getMessage());
            }
            try {
                stop();
            } catch (RuntimeException e) {
                System.err.println(e.getMessage());
            }
        }
        killLeftovers();
        unmountBelow(workDir, true);
        if (execRootIsTemp) {
            unmountBelow(execRoot, true);
        }
        if (!dataRootIsOurs) {
            unmountBelow(dataRoot, false); // the caller's mount itself stays
        }
        deleteBridge();
        if (Boolean.getBoolean("skiff.it.keep")) {
            return;
        }
        deleteTree(workDir);
        if (execRootIsTemp) {
            deleteTree(execRoot);
        }
    }

    /** The last lines of dockerd's own log, for failure messages. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            int from = Math.max(0, lines.size() - LOG_TAIL_LINES);
            return "----- private dockerd log (" + logFile + ") -----\n"
                    + String.join("\n", lines.subList(from, lines.size())) + "\n----- end -----";
        } catch (IOException e) {
            return "<no dockerd log: " + e.getMessage() + ">";
        }
    }

    private void launch() throws IOException, InterruptedException {
        List<String> cmd = List.of("dockerd",
                "--config-file", configFile.toString(),
                "--data-root", dataRoot.toString(),
                "--exec-root", execRoot.toString(),
                "--pidfile", pidFile.toString(),
                "-H", endpoint(),
                "--bridge", bridge,
                "--iptables=false", "--ip-masq=false", "--ip-forward=false", "--ip6tables=false",
                "--userland-proxy=false",
                "--containerd-namespace", "skpd-" + id,
                "--containerd-plugins-namespace", "skpd-" + id + "-plugins");
        Files.writeString(logFile, "### " + String.join(" ", cmd) + "\n",
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        pb.environment().remove("DOCKER_HOST");
        process = pb.start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("private dockerd exited with " + process.exitValue() + " before answering\n" + logTail());
            }
            try {
                if (!docker("version", "--format", "{{.Server.Version}}").isBlank()) {
                    return;
                }
            } catch (RuntimeException e) {
                last = e.getMessage();
            }
            Thread.sleep(200);
        }
        stop();
        throw new IOException("private dockerd did not answer within " + START_TIMEOUT + " (last: " + last + ")\n" + logTail());
    }

    /** Its own bridge with the first free 10.213.x.1/24, so container addresses never clash with the machine's. */
    private void createBridge() {
        run(new ProcessBuilder("ip", "link", "add", bridge, "type", "bridge"), "ip link add " + bridge);
        String addresses = run(new ProcessBuilder("ip", "-4", "-o", "addr", "show"), "ip addr")
                + run(new ProcessBuilder("ip", "-4", "route", "show", "table", "all"), "ip route");
        int start = ThreadLocalRandom.current().nextInt(256);
        for (int i = 0; i < 256; i++) {
            String net = SUBNET_PREFIX + ((start + i) % 256) + ".";
            if (!addresses.contains(net)) {
                bridgeAddress = net + "1/24";
                break;
            }
        }
        if (bridgeAddress == null) {
            throw new IllegalStateException("no free " + SUBNET_PREFIX + "x.0/24 for the private bridge");
        }
        run(new ProcessBuilder("ip", "addr", "add", bridgeAddress, "dev", bridge), "ip addr add " + bridgeAddress);
        run(new ProcessBuilder("ip", "link", "set", bridge, "up"), "ip link set " + bridge + " up");
    }

    private void deleteBridge() {
        try {
            String links = run(new ProcessBuilder("ip", "-o", "link", "show"), "ip link show");
            if (links.contains(" " + bridge + ":") || links.contains(" " + bridge + "@")) {
                run(new ProcessBuilder("ip", "link", "del", bridge), "ip link del " + bridge);
            }
        } catch (RuntimeException e) {
            System.err.println("private dockerd: cannot delete bridge " + bridge + ": " + e.getMessage());
        }
    }

    /**
     * Processes this instance started indirectly (its managed containerd and the container shims), recognised by
     * its unique exec-root or containerd namespace on their command line; only they are ever signalled.
     */
    private List<ProcessHandle> leftovers() {
        String exec = execRoot.toString();
        String namespace = "skpd-" + id;
        List<ProcessHandle> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                String cmdline;
                try {
                    cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
                } catch (IOException e) {
                    continue; // gone meanwhile
                }
                if (cmdline.contains(exec + "/") || cmdline.contains(" " + namespace + " ")) {
                    ProcessHandle.of(Long.parseLong(p.getFileName().toString())).ifPresent(found::add);
                }
            }
        } catch (IOException e) {
            System.err.println("private dockerd: cannot list /proc: " + e.getMessage());
        }
        found.removeIf(h -> h.pid() == ProcessHandle.current().pid());
        return found;
    }

    private void awaitNoLeftovers(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!leftovers().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
    }

    private void killLeftovers() {
        for (ProcessHandle h : leftovers()) {
            System.err.println("private dockerd: killing leftover pid " + h.pid() + " " + h.info().commandLine().orElse(""));
            h.destroyForcibly();
        }
    }

    private static void unmountBelow(Path dir, boolean includingDir) {
        LinuxMounter mounter = new LinuxMounter();
        try {
            for (int round = 0; round < 3; round++) {
                List<Path> mounts = new ArrayList<>(mounter.mountPointsUnder(dir));
                if (!includingDir) {
                    mounts.remove(dir);
                }
                if (mounts.isEmpty()) {
                    return;
                }
                for (Path m : mounts) {
                    try {
                        mounter.unmount(m);
                    } catch (IOException e) {
                        System.err.println("private dockerd: cannot unmount " + m + ": " + e.getMessage());
                    }
                }
            }
        } catch (IOException e) {
            System.err.println("private dockerd: cannot list mounts under " + dir + ": " + e.getMessage());
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // e.g. a busy mount point: reported once below
                }
            });
        } catch (IOException | UncheckedIOException e) {
            System.err.println("private dockerd: cannot delete " + dir + ": " + e);
        }
        if (Files.exists(dir)) {
            System.err.println("private dockerd: " + dir + " could not be removed completely");
        }
    }

    /** Runs a short command with output in files (no pipe can fill up), returns stdout; throws with stderr. */
    private String run(ProcessBuilder pb, String what) {
        Path out = null;
        Path err = null;
        try {
            Path tmp = Files.isDirectory(workDir) ? workDir : Path.of(System.getProperty("java.io.tmpdir"));
            out = Files.createTempFile(tmp, "cli-", ".out");
            err = Files.createTempFile(tmp, "cli-", ".err");
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(CLI_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                throw new IllegalStateException(what + ": no exit within " + CLI_TIMEOUT);
            }
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException(what + ": exit " + p.exitValue() + ": "
                        + Files.readString(err, StandardCharsets.UTF_8).trim());
            }
            return stdout;
        } catch (IOException e) {
            throw new UncheckedIOException(what, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + ": interrupted", e);
        } finally {
            for (Path f : new Path[] {out, err}) {
                if (f != null) {
                    try {
                        Files.deleteIfExists(f);
                    } catch (IOException ignored) {
                        // best effort
                    }
                }
            }
        }
    }

    private static Optional<Path> which(String tool) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/bin:/bin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return Optional.of(Path.of(dir, tool));
            }
        }
        return Optional.empty();
    }

    /** hack/build-test-images.sh, looked up from the working dir upwards (failsafe runs in kubelet-core). */
    private static Optional<Path> buildScript() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path s = d.resolve("hack").resolve("build-test-images.sh");
            if (Files.isRegularFile(s)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
