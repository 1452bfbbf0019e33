package dev.skiff.cri.docker;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.remote.RemoteCriRuntime;
import dev.skiff.cri.server.CriServer;
import dev.skiff.cri.v1.*;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static dev.skiff.cri.docker.ContainerLogsIT.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The CRI stats calls on real containers, through the real gRPC socket (the shim served by {@link CriServer},
 * called by {@link RemoteCriRuntime}, as crictl stats / statsp and a remote kubelet call them).
 */
class DockerStatsIT {
    private static final long LIMIT = 32L * 1024 * 1024;

    @TempDir
    Path tmp;
    private PodFixture pods;
    private CriServer server;
    private RemoteCriRuntime remote;

    @BeforeEach
    void setUp() throws Exception {
        pods = new PodFixture("skiff-stats-it", tmp.resolve("logs"));
        server = CriServer.start(tmp.resolve("cri.sock"), pods.rt(), pods.cri().images());
        remote = RemoteCriRuntime.connect("unix://" + tmp.resolve("cri.sock"), Duration.ofMinutes(2));
    }

    @AfterEach
    void tearDown() {
        try {
            if (remote != null) remote.close();
            if (server != null) server.close();
        } finally {
            pods.close();
        }
    }

    private RuntimeService rt() {
        return remote.runtime();
    }

    @Test
    void aBusyContainersCpuRisesAndItsPodSumsItsContainers() throws Exception {
        PodSandboxConfig sandbox = pods.sandbox().build();
        String sandboxId = pods.run(sandbox);
        String busy = pods.start(sandboxId, sandbox, pods.container(sandbox, "busy", "while :; do :; done").build());

        ContainerStats first = rt().containerStats(ContainerStatsRequest.newBuilder().setContainerId(busy).build()).getStats();
        assertEquals(busy, first.getAttributes().getId());
        assertEquals("busy", first.getAttributes().getMetadata().getName());
        assertEquals(pods.namespace, first.getAttributes().getLabelsMap().get(PodFixture.SELECTOR_KEY));
        assertTrue(first.getMemory().getWorkingSetBytes().getValue() > 0, first.toString());
        assertFalse(first.getMemory().hasAvailableBytes(), "no limit, no available bytes");

        AtomicReference<ContainerStats> later = new AtomicReference<>();
        await("the busy container's CPU rises with a rate", () -> {
            ContainerStats s = only(rt().listContainerStats(ListContainerStatsRequest.newBuilder()
                    .setFilter(ContainerStatsFilter.newBuilder().setPodSandboxId(sandboxId)).build()).getStatsList());
            later.set(s);
            return s.getCpu().getUsageCoreNanoSeconds().getValue() > first.getCpu().getUsageCoreNanoSeconds().getValue()
                    && s.getCpu().getUsageNanoCores().getValue() > 0;
        }, Duration.ofSeconds(60));
        assertTrue(later.get().getCpu().getTimestamp() > first.getCpu().getTimestamp());

        await("the writable layer is measured", () -> rt().containerStats(ContainerStatsRequest.newBuilder()
                .setContainerId(busy).build()).getStats().hasWritableLayer(), Duration.ofSeconds(60));
        FilesystemUsage layer = rt().containerStats(ContainerStatsRequest.newBuilder().setContainerId(busy).build())
                .getStats().getWritableLayer();
        String imageFs = remote.images().imageFsInfo(ImageFsInfoRequest.getDefaultInstance())
                .getImageFilesystems(0).getFsId().getMountpoint();
        assertEquals(imageFs, layer.getFsId().getMountpoint(), "the writable layer lives on the image filesystem");
        assertTrue(layer.getInodesUsed().getValue() >= 1, layer.toString());

        PodSandboxStats pod = rt().podSandboxStats(PodSandboxStatsRequest.newBuilder().setPodSandboxId(sandboxId).build()).getStats();
        assertEquals(sandboxId, pod.getAttributes().getId());
        assertEquals(1, pod.getLinux().getContainersCount());
        assertTrue(pod.getLinux().getCpu().getUsageCoreNanoSeconds().getValue()
                >= pod.getLinux().getContainers(0).getCpu().getUsageCoreNanoSeconds().getValue(), "the pod includes its container");
        assertTrue(pod.getLinux().getProcess().getProcessCount().getValue() >= 2, "pause and sh: " + pod.getLinux().getProcess());
        assertEquals("eth0", pod.getLinux().getNetwork().getDefaultInterface().getName());

        ListPodSandboxStatsResponse mine = rt().listPodSandboxStats(ListPodSandboxStatsRequest.newBuilder()
                .setFilter(PodSandboxStatsFilter.newBuilder().putLabelSelector(PodFixture.SELECTOR_KEY, pods.namespace)).build());
        assertEquals(List.of(sandboxId), mine.getStatsList().stream().map(s -> s.getAttributes().getId()).toList());
    }

    @Test
    void aContainerAtItsMemoryLimitHasItsWorkingSetAtTheLimit() throws Exception {
        PodSandboxConfig sandbox = pods.sandbox().build();
        String sandboxId = pods.run(sandbox);
        // shared memory stays charged to the cgroup whatever happens to its writer: dd (the OOM killer's first
        // choice) fills /dev/shm up to the limit, then the container just sleeps
        ContainerConfig.Builder config = pods.container(sandbox, "hog",
                "(echo 1000 > /proc/self/oom_score_adj; exec dd if=/dev/zero of=/dev/shm/fill bs=1M count=48); exec sleep 3600");
        config.getLinuxBuilder().getResourcesBuilder().setMemoryLimitInBytes(LIMIT);
        String hog = pods.start(sandboxId, sandbox, config.build());

        AtomicReference<ContainerStats> stats = new AtomicReference<>();
        await("the working set reaches the limit", () -> {
            stats.set(rt().containerStats(ContainerStatsRequest.newBuilder().setContainerId(hog).build()).getStats());
            return stats.get().getMemory().getWorkingSetBytes().getValue() >= LIMIT * 9 / 10;
        }, Duration.ofSeconds(60));
        MemoryUsage m = stats.get().getMemory();
        assertTrue(m.getWorkingSetBytes().getValue() <= LIMIT, m.toString());
        assertEquals(LIMIT - m.getWorkingSetBytes().getValue(), m.getAvailableBytes().getValue(), "available = limit − working set");
        assertEquals(ContainerState.CONTAINER_RUNNING, pods.status(hog).getState(), "the container itself lives on");
    }

    @Test
    void networkBytesCountTrafficAndMetricsNameThem() throws Exception {
        PodSandboxConfig sandbox = pods.sandbox().build();
        String sandboxId = pods.run(sandbox);
        pods.start(sandboxId, sandbox, pods.container(sandbox, "web",
                "mkdir -p /www && head -c 200000 /dev/zero > /www/blob && exec httpd -f -p 8080 -h /www").build());
        String ip = pods.sandboxStatus(sandboxId).getNetwork().getIp();
        long before = tx(sandboxId);

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        await("httpd serves the blob", () -> {
            try {
                return http.send(HttpRequest.newBuilder(URI.create("http://" + ip + ":8080/blob")).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofByteArray()).body().length == 200_000;
            } catch (Exception e) {
                return false;
            }
        }, Duration.ofSeconds(60));
        await("the pod's transmitted bytes include the blob", () -> tx(sandboxId) >= before + 200_000, Duration.ofSeconds(30));

        ListMetricDescriptorsResponse descriptors = rt().listMetricDescriptors(ListMetricDescriptorsRequest.getDefaultInstance());
        MetricDescriptor txDesc = descriptors.getDescriptorsList().stream()
                .filter(d -> d.getName().equals("container_network_transmit_bytes_total")).findFirst().orElseThrow();
        assertEquals(List.of("id", "name", "interface"), txDesc.getLabelKeysList());
        PodSandboxMetrics metrics = rt().listPodSandboxMetrics(ListPodSandboxMetricsRequest.getDefaultInstance())
                .getPodMetricsList().stream().filter(p -> p.getPodSandboxId().equals(sandboxId)).findFirst().orElseThrow();
        Metric tx = metrics.getMetricsList().stream()
                .filter(m -> m.getName().equals("container_network_transmit_bytes_total") && m.getLabelValues(2).equals("eth0"))
                .findFirst().orElseThrow();
        assertEquals(MetricType.COUNTER, tx.getMetricType());
        assertTrue(tx.getValue().getValue() >= before + 200_000, tx.toString());
        assertEquals(1, metrics.getContainerMetricsCount());
        assertTrue(metrics.getContainerMetrics(0).getMetricsList().stream()
                .anyMatch(m -> m.getName().equals("container_memory_working_set_bytes") && m.getValue().getValue() > 0));
    }

    @Test
    void unknownIdsAreNotFound() {
        var e = assertThrows(io.grpc.StatusRuntimeException.class, () -> rt().containerStats(
                ContainerStatsRequest.newBuilder().setContainerId("0000000000000000nosuch").build()));
        assertEquals(io.grpc.Status.Code.NOT_FOUND, e.getStatus().getCode());
        e = assertThrows(io.grpc.StatusRuntimeException.class, () -> rt().podSandboxStats(
                PodSandboxStatsRequest.newBuilder().setPodSandboxId("0000000000000000nosuch").build()));
        assertEquals(io.grpc.Status.Code.NOT_FOUND, e.getStatus().getCode());
    }

    private long tx(String sandboxId) {
        NetworkUsage n = rt().podSandboxStats(PodSandboxStatsRequest.newBuilder().setPodSandboxId(sandboxId).build())
                .getStats().getLinux().getNetwork();
        return n.getDefaultInterface().getTxBytes().getValue();
    }

    private static ContainerStats only(List<ContainerStats> list) {
        assertEquals(1, list.size(), list.toString());
        return list.get(0);
    }
}
