package dev.skiff.kubelet.logs;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.docker.DockerCriRuntime;
import dev.skiff.cri.docker.DockerShimConfig;
import dev.skiff.cri.testing.TestDocker;
import dev.skiff.cri.testing.TestImages;
import dev.skiff.cri.v1.*;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.*;

/** Log rotation of a container that prints fast, through the real Docker CRI shim. */
class ContainerLogRotationIT {
    private static final int LINES = 4000;
    /** Slow lines after the fast ones, so the container does not exit right after a rotation left its log empty. */
    private static final int TAIL = 5;
    private static final String PAD = "x".repeat(80);

    @TempDir
    Path logRoot;
    private String namespace;
    private DockerCriRuntime cri;
    private ContainerLogManager manager;

    @BeforeEach
    void setUp() {
        namespace = TestDocker.newNamespace("logrot");
        cri = DockerCriRuntime.connect(new DockerShimConfig("unix:///var/run/docker.sock", null));
    }

    @AfterEach
    void tearDown() {
        try {
            if (manager != null) {
                manager.close();
            }
            cri.close();
        } finally {
            TestDocker.removeNamespace(namespace);
        }
    }

    @Test
    void rotatesARunningContainersLogWithoutLosingOrRepeatingLines() throws Exception {
        RuntimeService rt = cri.runtime();
        String image = TestImages.busybox(TestDocker.client());
        String uid = UUID.randomUUID().toString();
        PodSandboxConfig sandbox = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName("chatty").setNamespace(namespace).setUid(uid))
                .setHostname("chatty")
                .setLogDirectory(logRoot.resolve(namespace + "_chatty_" + uid).toString())
                .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(
                        LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(NamespaceOption.newBuilder())))
                .build();
        String sandboxId = rt.runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(sandbox).build()).getPodSandboxId();
        // ~1000 lines of ~130 bytes (as CRI records) a second: a 20 KiB log fills within one 200 ms period.
        String script = "i=0; while [ $i -lt " + LINES + " ]; do j=0; while [ $j -lt 50 ]; do "
                + "echo \"seq-$i " + PAD + "\"; i=$((i+1)); j=$((j+1)); done; sleep 0.05; done; "
                + "while [ $i -lt " + (LINES + TAIL) + " ]; do echo \"seq-$i " + PAD + "\"; i=$((i+1)); sleep 0.2; done";
        ContainerConfig.Builder container = ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName("printer").setAttempt(0))
                .setImage(ImageSpec.newBuilder().setImage(image))
                .addCommand("sh").addArgs("-c").addArgs(script)
                .setLogPath("printer/0.log");
        container.getLinuxBuilder().getSecurityContextBuilder()
                .setNamespaceOptions(sandbox.getLinux().getSecurityContext().getNamespaceOptions());
        String id = rt.createContainer(CreateContainerRequest.newBuilder()
                .setPodSandboxId(sandboxId).setConfig(container).setSandboxConfig(sandbox).build()).getContainerId();
        Path log = Path.of(sandbox.getLogDirectory()).resolve("printer/0.log");

        manager = new ContainerLogManager(onlyNamespace(rt, namespace), 20 * 1024, 3, Duration.ofMillis(200),
                Clock.systemUTC());
        manager.start();
        rt.startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());

        await("two rotated files", () -> rotated(log).size() == 2, Duration.ofSeconds(30));
        long after = sizeOnceReopened(log);
        await("the current log keeps growing after a rotation", () -> {
            try {
                return Files.exists(log) && Files.size(log) != after;
            } catch (IOException e) {
                return false;
            }
        }, Duration.ofSeconds(60));

        await("container exits", () -> rt.containerStatus(ContainerStatusRequest.newBuilder().setContainerId(id).build())
                .getStatus().getState() == ContainerState.CONTAINER_EXITED, Duration.ofSeconds(60));
        // Exited containers are not rotated; wait until the shim has copied the last line.
        String last = "seq-" + (LINES + TAIL - 1);
        await("last line copied", () -> read(log).contains(last + " "), Duration.ofSeconds(60));
        manager.close();

        List<Path> rotated = rotated(log);
        assertEquals(2, rotated.size(), "maxFiles 3 keeps two rotated files: " + rotated);
        assertTrue(rotated.get(0).getFileName().toString().endsWith(".gz"), "older rotated file compressed: " + rotated);
        assertFalse(rotated.get(1).getFileName().toString().endsWith(".gz"), "newest rotated file plain: " + rotated);
        assertTrue(rotated.get(1).getFileName().toString().matches("0\\.log\\.\\d{8}-\\d{6}(-\\d+)?"), rotated.toString());

        List<String> all = new ArrayList<>();
        List<String> first = seqLines(gunzip(rotated.get(0)));
        List<String> second = seqLines(read(rotated.get(1)));
        List<String> current = seqLines(read(log));
        assertFalse(first.isEmpty());
        assertFalse(second.isEmpty());
        assertFalse(current.isEmpty(), "the current log received lines after the last rotation");
        all.addAll(first);
        all.addAll(second);
        all.addAll(current);
        int start = Integer.parseInt(all.get(0).substring("seq-".length()));
        assertTrue(start > 0, "the oldest rotated files were removed, first kept line is seq-" + start);
        List<String> expected = new ArrayList<>();
        for (int i = start; i < LINES + TAIL; i++) {
            expected.add("seq-" + i);
        }
        assertEquals(expected, all, "lines across the kept files are contiguous, in order, each once");
    }

    private static List<Path> rotated(Path log) {
        try {
            return ContainerLogFiles.rotated(log);
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The "seq-N" of each complete stdout CRI record ({@code <time> stdout F seq-N xxx…}). */
    private static List<String> seqLines(String text) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            String[] parts = line.split(" ", 5);
            if (parts.length == 5 && parts[1].equals("stdout") && parts[2].equals("F") && parts[4].equals(PAD)) {
                out.add(parts[3]);
            }
        }
        return out;
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static String gunzip(Path gz) throws IOException {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(Files.readAllBytes(gz)))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * The runtime, with ListContainers narrowed to this test's pod namespace: the manager must not
     * rotate logs of containers other tests (or a running kubelet) have on the same Docker host.
     */
    private static RuntimeService onlyNamespace(RuntimeService rt, String namespace) {
        return (RuntimeService) Proxy.newProxyInstance(RuntimeService.class.getClassLoader(),
                new Class<?>[]{RuntimeService.class}, (proxy, method, args) -> {
                    if (method.getName().equals("listContainers")) {
                        ListContainersRequest r = (ListContainersRequest) args[0];
                        ListContainersRequest.Builder b = r.toBuilder();
                        b.getFilterBuilder().putLabelSelector("io.kubernetes.pod.namespace", namespace);
                        return rt.listContainers(b.build());
                    }
                    try {
                        return method.invoke(rt, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static void await(String what, BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout + " waiting until " + what);
            }
            Thread.sleep(50);
        }
    }

    /** The current log's size; between a rotation's rename and the reopen the file is briefly absent. */
    private static long sizeOnceReopened(Path log) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                return Files.size(log);
            } catch (java.nio.file.NoSuchFileException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(10);
            }
        }
    }
}
