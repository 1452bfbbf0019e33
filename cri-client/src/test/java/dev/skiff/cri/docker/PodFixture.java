package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.testing.TestDocker;
import dev.skiff.cri.testing.TestImages;
import dev.skiff.cri.v1.*;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Pods for the shim's integration tests: a {@link DockerCriRuntime} on the real Docker Engine,
 * a pod namespace of the test's own (everything carrying it is removed on {@link #close()}),
 * and builders for sandbox and container configs shaped the way the kubelet sends them.
 */
final class PodFixture implements AutoCloseable {
    static final String SELECTOR_KEY = "skiff.test/namespace";

    final DockerClient docker = TestDocker.client();
    final String namespace;
    final String image;
    final Path logRoot;
    private final Supplier<DockerCriRuntime> connect;
    private final AtomicInteger counter = new AtomicInteger();
    private DockerCriRuntime cri;

    PodFixture(String prefix, Path logRoot) {
        this(prefix, logRoot, new DockerShimConfig(TestDocker.ENDPOINT, null));
    }

    PodFixture(String prefix, Path logRoot, DockerShimConfig config) {
        this(prefix, logRoot, () -> DockerCriRuntime.connect(config));
    }

    /** @param connect makes the runtime, at first and on each {@link #restart()} */
    PodFixture(String prefix, Path logRoot, Supplier<DockerCriRuntime> connect) {
        this.namespace = TestDocker.newNamespace(prefix);
        this.image = TestImages.busybox(docker);
        this.logRoot = logRoot;
        this.connect = connect;
        this.cri = connect.get();
    }

    RuntimeService rt() {
        return cri.runtime();
    }

    DockerCriRuntime cri() {
        return cri;
    }

    /** Closes the runtime and connects a fresh one, as a restart of the shim would. */
    void restart() {
        restart(Duration.ZERO);
    }

    /** A restart with the shim down for {@code down}. */
    void restart(Duration down) {
        cri.close();
        try {
            Thread.sleep(down.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        cri = connect.get();
    }

    /** A sandbox config in this fixture's namespace with a fresh uid, a log directory, a hostname and a selector label. */
    PodSandboxConfig.Builder sandbox(String name) {
        String uid = UUID.randomUUID().toString();
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace(namespace).setUid(uid).setAttempt(0))
                .setHostname(name)
                .setLogDirectory(logRoot.resolve(namespace + "_" + name + "_" + uid).toString())
                .putLabels(SELECTOR_KEY, namespace)
                .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(
                        LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(NamespaceOption.newBuilder())));
    }

    /** A uniquely named sandbox config. */
    PodSandboxConfig.Builder sandbox() {
        return sandbox("pod" + counter.incrementAndGet());
    }

    static PodSandboxConfig.Builder withNamespaces(PodSandboxConfig.Builder b, NamespaceMode network, NamespaceMode pid, NamespaceMode ipc) {
        b.getLinuxBuilder().getSecurityContextBuilder().setNamespaceOptions(
                NamespaceOption.newBuilder().setNetwork(network).setPid(pid).setIpc(ipc));
        return b;
    }

    String run(PodSandboxConfig config) {
        String id = rt().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config).build()).getPodSandboxId();
        assertFalse(id.isEmpty());
        return id;
    }

    /**
     * A container config as the kubelet makes it: the pod's namespace options repeated in the
     * container's security context, log path {@code <name>/0.log}, running {@code sh -c script}.
     */
    ContainerConfig.Builder container(PodSandboxConfig sandbox, String name, String script) {
        ContainerConfig.Builder b = ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName(name).setAttempt(0))
                .setImage(ImageSpec.newBuilder().setImage(image))
                .addCommand("sh").addArgs("-c").addArgs(script)
                .setLogPath(name + "/0.log")
                .putLabels(SELECTOR_KEY, namespace);
        b.getLinuxBuilder().getSecurityContextBuilder()
                .setNamespaceOptions(sandbox.getLinux().getSecurityContext().getNamespaceOptions());
        return b;
    }

    String create(String sandboxId, PodSandboxConfig sandbox, ContainerConfig config) {
        String id = rt().createContainer(CreateContainerRequest.newBuilder()
                .setPodSandboxId(sandboxId).setConfig(config).setSandboxConfig(sandbox).build()).getContainerId();
        assertFalse(id.isEmpty());
        return id;
    }

    String start(String sandboxId, PodSandboxConfig sandbox, ContainerConfig config) {
        String id = create(sandboxId, sandbox, config);
        rt().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
        return id;
    }

    ContainerStatus status(String containerId) {
        return rt().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(containerId).build()).getStatus();
    }

    PodSandboxStatus sandboxStatus(String sandboxId) {
        return rt().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(sandboxId).build()).getStatus();
    }

    ContainerStatus awaitExited(String containerId, Duration timeout) {
        await("container " + containerId + " exits",
                () -> status(containerId).getState() == ContainerState.CONTAINER_EXITED, timeout);
        return status(containerId);
    }

    ExecSyncResponse exec(String containerId, String... cmd) {
        return rt().execSync(ExecSyncRequest.newBuilder().setContainerId(containerId).addAllCmd(List.of(cmd)).setTimeout(20).build());
    }

    /** stdout of {@code sh -c script} run in the container; fails unless it exits 0. */
    String sh(String containerId, String script) {
        ExecSyncResponse r = exec(containerId, "sh", "-c", script);
        assertEquals(0, r.getExitCode(), "exit code of `" + script + "`, stderr: " + r.getStderr().toStringUtf8());
        return r.getStdout().toStringUtf8();
    }

    /** The stdout texts of the complete CRI log records in a container's log file (empty if there is none yet). */
    static List<String> stdoutLines(Path logFile) {
        List<String> out = new ArrayList<>();
        if (!Files.exists(logFile)) {
            return out;
        }
        try {
            for (String line : Files.readAllLines(logFile, StandardCharsets.UTF_8)) {
                String[] parts = line.split(" ", 4);
                if (parts.length >= 3 && parts[1].equals("stdout") && parts[2].equals("F")) {
                    out.add(parts.length == 4 ? parts[3] : "");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    Path logFile(PodSandboxConfig sandbox, ContainerConfig container) {
        return Path.of(sandbox.getLogDirectory()).resolve(container.getLogPath());
    }

    /** The container's processes as {@code docker top} lists them, one line each. */
    List<String> processes(String containerId) {
        return java.util.Arrays.stream(docker.topContainerCmd(containerId).exec().getProcesses()).map(row -> String.join(" ", row)).toList();
    }

    /** The body of an HTTP/1.0 response (what httpd sends back through a port-forward). */
    static byte[] httpBody(byte[] response) {
        for (int i = 0; i + 3 < response.length; i++) {
            if (response[i] == '\r' && response[i + 1] == '\n' && response[i + 2] == '\r' && response[i + 3] == '\n') {
                return java.util.Arrays.copyOfRange(response, i + 4, response.length);
            }
        }
        throw new AssertionError("no end of the HTTP head in " + response.length + " bytes");
    }

    /** Docker containers of any kind carrying this fixture's pod namespace. */
    List<Container> dockerContainers() {
        return docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(KubeLabels.POD_NAMESPACE, namespace)).exec();
    }

    static String randomId() {
        return (UUID.randomUUID().toString() + UUID.randomUUID()).replace("-", "");
    }

    static StatusRuntimeException assertCode(Status.Code code, Runnable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        assertEquals(code, e.getStatus().getCode(), String.valueOf(e.getStatus()));
        return e;
    }

    static void await(String what, BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout + " waiting until " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting until " + what);
            }
        }
    }

    @Override
    public void close() {
        try {
            cri.close();
        } finally {
            TestDocker.removeNamespace(namespace);
        }
    }
}
