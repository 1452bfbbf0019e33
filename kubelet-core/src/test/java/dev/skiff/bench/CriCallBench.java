package dev.skiff.bench;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.HostConfig;
import dev.skiff.cri.ImageService;
import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.docker.DockerCriRuntime;
import dev.skiff.cri.docker.DockerShimConfig;
import dev.skiff.cri.docker.KubeLabels;
import dev.skiff.cri.remote.RemoteCriRuntime;
import dev.skiff.cri.server.CriServer;
import dev.skiff.cri.testing.TestDocker;
import dev.skiff.cri.v1.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * {@code make bench}: the CRI calls in the shape of cri-tools' benchmark suite (20 iterations each of
 * RunPodSandbox, PodSandboxStatus, StopPodSandbox, RemovePodSandbox, CreateContainer, StartContainer,
 * ContainerStatus, StopContainer, RemoveContainer, ListContainers, ListImages, ImageStatus) through the Docker
 * shim served on a Unix socket and called over gRPC as a kubelet or crictl calls it, each beside the raw Docker
 * calls it needs (made with the same Docker client, alternating with the shim's, iteration by iteration), with
 * 100 extra pod containers present (in 10 extra sandboxes). Targets: status and list calls ≤ 1 ms median;
 * RunPodSandbox and StartContainer ≤ 1.1× their raw calls. Prints PASS/MISS and exits 0 either way; 1 only when
 * it cannot measure.
 */
public final class CriCallBench implements BenchMain.Bench {
    private static final int ITERATIONS = Integer.getInteger("bench.iterations", 20);
    private static final int WARMUP = Integer.getInteger("bench.warmup", 3);
    private static final int EXTRA_SANDBOXES = 10;
    private static final int EXTRA_CONTAINERS = Integer.getInteger("bench.extra", 100);
    private static final double TARGET_MS = 1.0;
    private static final double TARGET_RATIO = 1.1;
    private static final List<String> FAST = List.of("PodSandboxStatus", "ContainerStatus", "ListContainers", "ListImages", "ImageStatus");
    private static final List<String> RATIO = List.of("RunPodSandbox", "StartContainer");

    private final DockerClient docker;
    private final String pause;
    private final String busybox;
    private final String namespace = TestDocker.newNamespace("bench-cri");
    private final Map<String, List<Long>> shim = new LinkedHashMap<>();
    private final Map<String, List<Long>> raw = new LinkedHashMap<>();
    /** The fast calls made on the shim in-process too: its own time, without gRPC's. */
    private final Map<String, List<Long>> inProcess = new LinkedHashMap<>();

    private CriCallBench(DockerClient docker, String pause, String busybox) {
        this.docker = docker;
        this.pause = pause;
        this.busybox = busybox;
    }

    public static void main(String[] args) throws Exception {
        BenchMain.run(s -> new CriCallBench(s.docker(), s.pause(), s.busybox()));
    }

    @Override
    public String namespace() {
        return namespace;
    }

    @Override
    public int run(Path skiffBinary) throws Exception {
        System.out.printf(Locale.ROOT, "CRI call bench: %d iterations (after %d warm-up) of each call over gRPC on a Unix socket,"
                + " beside the raw Docker calls; %d extra pod containers in %d sandboxes; namespace %s; load %s%n",
                ITERATIONS, WARMUP, EXTRA_CONTAINERS, EXTRA_SANDBOXES, namespace, loadavg());
        Path dir = Files.createTempDirectory("skiff-cri-bench-");
        Path socket = dir.resolve("cri.sock");
        try (DockerCriRuntime cri = DockerCriRuntime.connect(new DockerShimConfig(TestDocker.ENDPOINT, null));
             CriServer server = CriServer.start(socket, cri.runtime(), cri.images());
             RemoteCriRuntime remote = RemoteCriRuntime.connect("unix://" + socket, Duration.ofSeconds(60))) {
            RuntimeService rt = remote.runtime();
            ImageService images = remote.images();
            long waitUntil = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (!dev.skiff.cri.docker.IndexedAnswers.live(cri) && System.nanoTime() < waitUntil) {
                Thread.sleep(100);
            }
            System.out.printf(Locale.ROOT, "  index live: %s%n", dev.skiff.cri.docker.IndexedAnswers.live(cri));
            extras(rt, dir);
            for (int i = 0; i < WARMUP + ITERATIONS; i++) {
                iteration(i, i >= WARMUP, rt, images, dir, cri.runtime(), cri.images());
            }
            System.out.printf(Locale.ROOT, "  load after: %s%n", loadavg());
            report();
            return 0;
        } catch (RuntimeException e) {
            return BenchMain.cannotMeasure(e, null);
        } finally {
            BenchSkiff.deleteTree(dir);
        }
    }

    private PodSandboxConfig sandbox(String name, Path dir) {
        String uid = UUID.randomUUID().toString();
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace(namespace).setUid(uid))
                .setHostname(name)
                .setLogDirectory(dir.resolve("logs").resolve(namespace + "_" + name + "_" + uid).toString())
                .build();
    }

    private ContainerConfig container(String name) {
        return ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName(name))
                .setImage(ImageSpec.newBuilder().setImage(busybox))
                .addCommand("sleep").addArgs("3600")
                .setLogPath(name + "/0.log")
                .build();
    }

    /** The extra pods: created (not started) containers, so they are listed without loading the machine. */
    private void extras(RuntimeService rt, Path dir) {
        long t0 = System.nanoTime();
        int made = 0;
        for (int s = 0; s < EXTRA_SANDBOXES; s++) {
            PodSandboxConfig config = sandbox("extra-" + s, dir);
            String id = rt.runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config).build()).getPodSandboxId();
            for (int c = 0; c < EXTRA_CONTAINERS / EXTRA_SANDBOXES; c++, made++) {
                rt.createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(id).setSandboxConfig(config)
                        .setConfig(container("c" + c)).build());
            }
        }
        System.out.printf(Locale.ROOT, "  %d extra containers made in %.1f s%n", made, (System.nanoTime() - t0) / 1e9);
    }

    private <T> T time(Map<String, List<Long>> into, String call, boolean keep, Supplier<T> body) {
        long t0 = System.nanoTime();
        T result = body.get();
        if (keep) {
            into.computeIfAbsent(call, k -> new ArrayList<>()).add(System.nanoTime() - t0);
        }
        return result;
    }

    private void timeRun(Map<String, List<Long>> into, String call, boolean keep, Runnable body) {
        time(into, call, keep, () -> {
            body.run();
            return null;
        });
    }

    /** One round of every call, the shim's and the raw Docker ones alternating. */
    private void iteration(int i, boolean keep, RuntimeService rt, ImageService images, Path dir,
                           RuntimeService local, ImageService localImages) {
        Map<String, String> rawLabels = Map.of(KubeLabels.POD_NAMESPACE, namespace); // for the cleanup only
        PodSandboxConfig config = sandbox("bench-" + i, dir);
        String sandbox = time(shim, "RunPodSandbox", keep,
                () -> rt.runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config).build()).getPodSandboxId());
        String rawSandbox = time(raw, "RunPodSandbox", keep, () -> {
            String id = docker.createContainerCmd(pause).withName("skiff-bench-raw-pod-" + namespace + "-" + i).withLabels(rawLabels)
                    .withHostConfig(HostConfig.newHostConfig().withNetworkMode("bridge").withIpcMode("shareable")).exec().getId();
            docker.startContainerCmd(id).exec();
            return id;
        });
        timeRun(shim, "PodSandboxStatus", keep, () -> rt.podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(sandbox).build()));
        timeRun(inProcess, "PodSandboxStatus", keep, () -> local.podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(sandbox).build()));
        timeRun(raw, "PodSandboxStatus", keep, () -> docker.inspectContainerCmd(rawSandbox).exec());

        String ctr = time(shim, "CreateContainer", keep, () -> rt.createContainer(CreateContainerRequest.newBuilder()
                .setPodSandboxId(sandbox).setSandboxConfig(config).setConfig(container("app")).build()).getContainerId());
        String rawCtr = time(raw, "CreateContainer", keep, () -> docker.createContainerCmd(busybox)
                .withName("skiff-bench-raw-app-" + namespace + "-" + i).withLabels(rawLabels).withCmd("sleep", "3600")
                .withHostConfig(HostConfig.newHostConfig().withNetworkMode("container:" + rawSandbox)
                        .withIpcMode("container:" + rawSandbox).withPidMode("container:" + rawSandbox)).exec().getId());
        timeRun(shim, "StartContainer", keep, () -> rt.startContainer(StartContainerRequest.newBuilder().setContainerId(ctr).build()));
        timeRun(raw, "StartContainer", keep, () -> docker.startContainerCmd(rawCtr).exec());
        timeRun(shim, "ContainerStatus", keep, () -> rt.containerStatus(ContainerStatusRequest.newBuilder().setContainerId(ctr).build()));
        timeRun(raw, "ContainerStatus", keep, () -> docker.inspectContainerCmd(rawCtr).exec());
        timeRun(inProcess, "ContainerStatus", keep, () -> local.containerStatus(ContainerStatusRequest.newBuilder().setContainerId(ctr).build()));
        timeRun(shim, "ListContainers", keep, () -> rt.listContainers(ListContainersRequest.getDefaultInstance()));
        timeRun(inProcess, "ListContainers", keep, () -> local.listContainers(ListContainersRequest.getDefaultInstance()));
        timeRun(raw, "ListContainers", keep, () -> docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(KubeLabels.TYPE, KubeLabels.TYPE_CONTAINER)).exec());
        timeRun(shim, "ListImages", keep, () -> images.listImages(ListImagesRequest.getDefaultInstance()));
        timeRun(raw, "ListImages", keep, () -> docker.listImagesCmd().exec());
        timeRun(inProcess, "ListImages", keep, () -> localImages.listImages(ListImagesRequest.getDefaultInstance()));
        ImageStatusRequest imageStatus = ImageStatusRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(busybox)).build();
        timeRun(shim, "ImageStatus", keep, () -> images.imageStatus(imageStatus));
        timeRun(raw, "ImageStatus", keep, () -> docker.inspectImageCmd(busybox).exec());
        timeRun(inProcess, "ImageStatus", keep, () -> localImages.imageStatus(imageStatus));

        timeRun(shim, "StopContainer", keep, () -> rt.stopContainer(StopContainerRequest.newBuilder().setContainerId(ctr).setTimeout(0).build()));
        timeRun(raw, "StopContainer", keep, () -> docker.stopContainerCmd(rawCtr).withTimeout(0).exec());
        timeRun(shim, "RemoveContainer", keep, () -> rt.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(ctr).build()));
        timeRun(raw, "RemoveContainer", keep, () -> docker.removeContainerCmd(rawCtr).withForce(true).withRemoveVolumes(true).exec());
        // a sandbox's raw stop and removal: find what still runs in it, then the pause container itself
        timeRun(shim, "StopPodSandbox", keep, () -> rt.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(sandbox).build()));
        timeRun(raw, "StopPodSandbox", keep, () -> {
            docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(KubeLabels.SANDBOX_ID, rawSandbox)).exec();
            docker.stopContainerCmd(rawSandbox).withTimeout(10).exec();
        });
        timeRun(shim, "RemovePodSandbox", keep, () -> rt.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(sandbox).build()));
        timeRun(raw, "RemovePodSandbox", keep, () -> {
            docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(KubeLabels.SANDBOX_ID, rawSandbox)).exec();
            docker.removeContainerCmd(rawSandbox).withForce(true).withRemoveVolumes(true).exec();
        });
    }

    private static double medianMs(List<Long> nanos) {
        List<Long> s = new ArrayList<>(nanos);
        s.sort(null);
        int n = s.size();
        double m = n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2.0;
        return m / 1e6;
    }

    private void report() {
        System.out.printf(Locale.ROOT, "  %-18s %12s %12s %7s  %-22s %s%n", "call", "shim median", "raw median", "ratio", "target",
                "in-process median");
        for (String call : shim.keySet()) {
            double s = medianMs(shim.get(call));
            double r = medianMs(raw.get(call));
            String target = "";
            if (FAST.contains(call)) {
                target = String.format(Locale.ROOT, "<= %.1f ms: %s", TARGET_MS, s <= TARGET_MS ? "PASS" : "MISS");
            } else if (RATIO.contains(call)) {
                target = String.format(Locale.ROOT, "<= %.1fx raw: %s", TARGET_RATIO, s / r <= TARGET_RATIO ? "PASS" : "MISS");
            }
            String local = inProcess.containsKey(call) ? String.format(Locale.ROOT, "%.3f ms", medianMs(inProcess.get(call))) : "";
            System.out.printf(Locale.ROOT, "  %-18s %9.2f ms %9.2f ms %6.2fx  %-22s %s%n", call, s, r, s / r, target, local);
        }
    }

    private static String loadavg() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
