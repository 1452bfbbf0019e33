package dev.skiff.cri.testing;

import dev.skiff.cri.docker.PauseImage;
import dev.skiff.cri.remote.RemoteCriRuntime;
import dev.skiff.cri.v1.ListPodSandboxRequest;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.RemovePodSandboxRequest;
import dev.skiff.cri.v1.StopPodSandboxRequest;
import io.grpc.StatusRuntimeException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Someone else's CRI server for interop tests: a private containerd (Debian's, with its CRI
 * plugin) on a socket in a directory of the test's, with its own root, state and (empty) CNI
 * config, and its CRI streaming server on 127.0.0.1 at a random port. No registry is needed:
 * {@link #importFromDocker} copies images (Skiff's pause, the busybox test image) in with
 * {@code ctr images import}. Without CNI, only host-network pods run.
 */
public final class PrivateContainerd implements AutoCloseable {
    private static final Path CONTAINERD = Path.of("/usr/bin/containerd");
    private static final Path CTR = Path.of("/usr/bin/ctr");

    private final Path dir;
    private final Path socket;
    private final Path log;
    private final Process process;
    private final RemoteCriRuntime cri;

    private PrivateContainerd(Path dir, Path socket, Path log, Process process, RemoteCriRuntime cri) {
        this.dir = dir;
        this.socket = socket;
        this.log = log;
        this.process = process;
        this.cri = cri;
    }

    /** Starts containerd with its state under {@code dir} and waits (90 s at most) until it serves CRI. */
    public static PrivateContainerd start(Path dir) throws IOException, InterruptedException {
        if (!Files.isExecutable(CONTAINERD)) {
            throw new IllegalStateException(CONTAINERD + " is not installed: hack/install-host-deps.sh installs Debian's containerd");
        }
        Path socket = dir.resolve("containerd.sock");
        Files.createDirectories(dir.resolve("cni"));
        Path config = dir.resolve("config.toml");
        // restrict_oom_score_adj: this host cannot lower oom_score_adj (FACTS.md), and the
        // sandbox's -998 would fail in runc
        Files.writeString(config, """
                version = 2
                root = "%1$s/root"
                state = "%1$s/state"
                disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs",
                  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper",
                  "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp"]
                [grpc]
                  address = "%2$s"
                [ttrpc]
                  address = "%2$s.ttrpc"
                [plugins."io.containerd.grpc.v1.cri"]
                  sandbox_image = "%3$s"
                  restrict_oom_score_adj = true
                  stream_server_address = "127.0.0.1"
                  stream_server_port = "0"
                  [plugins."io.containerd.grpc.v1.cri".cni]
                    bin_dir = "/usr/lib/cni"
                    conf_dir = "%1$s/cni"
                """.formatted(dir, socket, PauseImage.defaultImage()));
        Path log = dir.resolve("containerd.log");
        Process process = new ProcessBuilder(CONTAINERD.toString(), "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!Files.exists(socket) || !logText(log).contains("serving...")) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                stop(process);
                throw new IllegalStateException("containerd did not start serving within 90 s:\n" + tail(log));
            }
            Thread.sleep(100);
        }
        if (logText(log).contains("failed to load plugin io.containerd.grpc.v1.cri")) {
            stop(process);
            throw new IllegalStateException("containerd's CRI plugin did not load:\n" + tail(log));
        }
        return new PrivateContainerd(dir, socket, log, process,
                RemoteCriRuntime.connect("unix://" + socket, Duration.ofSeconds(10)));
    }

    public RemoteCriRuntime cri() {
        return cri;
    }

    public Path dir() {
        return dir;
    }

    public Path socket() {
        return socket;
    }

    /** The last 20 lines of containerd's log, for failure messages. */
    public String tail() {
        return tail(log);
    }

    /** Skiff's pause image and the busybox test image, from Docker into this containerd; returns busybox's name. */
    public String importTestImages() throws IOException, InterruptedException {
        String busybox = TestImages.busybox(TestDocker.client());
        importFromDocker(new PauseImage(TestDocker.client(), null).ensure());
        importFromDocker(busybox);
        return busybox;
    }

    /** docker save IMAGE | ctr -n k8s.io images import - (the namespace the CRI plugin reads). */
    public void importFromDocker(String image) throws IOException, InterruptedException {
        if (!Files.isExecutable(CTR)) {
            throw new IllegalStateException(CTR + " is missing: Debian's containerd package (hack/install-host-deps.sh) ships it");
        }
        Path out = dir.resolve("ctr-import.log");
        Process ctr = new ProcessBuilder(CTR.toString(), "--address", socket.toString(), "--namespace", "k8s.io",
                "images", "import", "-").redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try (InputStream tar = TestDocker.client().saveImageCmd(image.substring(0, image.lastIndexOf(':')))
                .withTag(image.substring(image.lastIndexOf(':') + 1)).exec();
             OutputStream stdin = ctr.getOutputStream()) {
            tar.transferTo(stdin);
        }
        if (!ctr.waitFor(180, TimeUnit.SECONDS)) {
            ctr.destroyForcibly();
            throw new IllegalStateException("ctr images import " + image + " did not finish in 180 s");
        }
        if (ctr.exitValue() != 0) {
            throw new IllegalStateException("ctr images import " + image + " failed:\n" + Files.readString(out));
        }
    }

    /** Stops and removes every pod (containerd's shims outlive containerd: end them through CRI first), then containerd. */
    @Override
    public void close() throws InterruptedException {
        try {
            for (PodSandbox p : cri.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList()) {
                cri.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(p.getId()).build());
                cri.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(p.getId()).build());
            }
        } catch (StatusRuntimeException e) {
            System.err.println("cleanup of containerd pods: " + e);
        } finally {
            cri.close();
            stop(process);
        }
    }

    private static void stop(Process process) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String logText(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    private static String tail(Path log) {
        String[] lines = logText(log).split("\n");
        return String.join("\n", Arrays.copyOfRange(lines, Math.max(0, lines.length - 20), lines.length));
    }
}
