package dev.skiff.kubelet.stats;

import dev.skiff.cri.ImageService;
import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.stats.CgroupStatsReader;
import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.ContainerAttributes;
import dev.skiff.cri.v1.ContainerMetadata;
import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.ContainerStats;
import dev.skiff.cri.v1.FilesystemIdentifier;
import dev.skiff.cri.v1.FilesystemUsage;
import dev.skiff.cri.v1.ImageFsInfoResponse;
import dev.skiff.cri.v1.ListContainerStatsResponse;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.PodSandboxMetadata;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.kubelet.pleg.RuntimePod;
import io.grpc.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/** The stats' pods come from the PLEG's relist, not from runtime list calls; the runtime's fs figures are reused. */
class PodStatsSourceTest {
    private static final String SANDBOX = "a".repeat(64), RUNNING = "b".repeat(64), EXITED = "c".repeat(64),
            GONE_SANDBOX = "d".repeat(64);

    private final Map<String, Integer> calls = new ConcurrentHashMap<>();

    /** Answers ListContainerStats and ImageFsInfo, counting them; any other call (a list call) fails the test. */
    private <T> T runtime(Class<T> type) {
        return type.cast(Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[]{type}, (proxy, method, args) -> {
            calls.merge(method.getName(), 1, Integer::sum);
            return switch (method.getName()) {
                case "listContainerStats" -> ListContainerStatsResponse.newBuilder().addStats(ContainerStats.newBuilder()
                        .setAttributes(ContainerAttributes.newBuilder().setId(RUNNING))
                        .setWritableLayer(FilesystemUsage.newBuilder().setTimestamp(1))).build();
                case "imageFsInfo" -> ImageFsInfoResponse.newBuilder().addImageFilesystems(FilesystemUsage.newBuilder()
                        .setFsId(FilesystemIdentifier.newBuilder().setMountpoint("/var/lib/docker"))).build();
                default -> throw Status.UNIMPLEMENTED.withDescription(method.getName()).asRuntimeException();
            };
        }));
    }

    @Test
    void readyPodsAndRunningContainersComeFromTheRelistWithTheirCgroups(@TempDir Path tmp) throws Exception {
        Path cgroups = tmp.resolve("cgroup");
        for (String id : List.of(SANDBOX, RUNNING)) {
            write(cgroups.resolve("cpuacct/docker/" + id + "/cpuacct.usage"), "1000\n");
            write(cgroups.resolve("memory/docker/" + id + "/memory.usage_in_bytes"), "4096\n");
        }
        RuntimePod pod = new RuntimePod("uid-1", "web", "shop",
                List.of(sandbox(SANDBOX, PodSandboxState.SANDBOX_READY), sandbox(GONE_SANDBOX, PodSandboxState.SANDBOX_NOTREADY)),
                List.of(container(RUNNING, "app", ContainerState.CONTAINER_RUNNING),
                        container(EXITED, "init", ContainerState.CONTAINER_EXITED)));
        AtomicReference<Map<String, RuntimePod>> relisted = new AtomicReference<>(Map.of("uid-1", pod));
        PodStatsSource source = new PodStatsSource(PodListing.fromPleg(relisted::get), runtime(RuntimeService.class),
                runtime(ImageService.class), new CgroupStatsReader(cgroups, tmp.resolve("proc"), Clock.systemUTC(),
                Duration.ofMinutes(1)));

        RuntimeView view = source.read();
        assertEquals(1, view.pods().size(), "the not-ready sandbox is left out");
        RuntimeView.PodView p = view.pods().get(0);
        assertEquals(SANDBOX, p.sandbox().getId());
        assertEquals(1000, p.infra().orElseThrow().sample().cpuUsageNanos());
        assertEquals(List.of("app"), p.containers().stream().map(RuntimeView.ContainerView::name).toList(),
                "only the running container");
        assertEquals(4096, p.containers().get(0).sample().orElseThrow().sample().memoryUsageBytes());
        assertSame(view, source.read(), "same cgroup snapshot, same relist: the same view");

        relisted.set(Map.of()); // the next relist: the pod is gone
        assertTrue(source.read().pods().isEmpty());
        assertNull(calls.get("listPodSandbox"));
        assertNull(calls.get("listContainers"));
    }

    @Test
    void theRuntimesFilesystemFiguresAreAskedForOncePerPeriod(@TempDir Path tmp) {
        PodStatsSource source = new PodStatsSource(PodListing.fromPleg(Map::of), runtime(RuntimeService.class),
                runtime(ImageService.class), new CgroupStatsReader(tmp, tmp, Clock.systemUTC(), Duration.ofSeconds(1)));
        for (int i = 0; i < 5; i++) {
            assertTrue(source.runtimeContainerStats().get(RUNNING).hasWritableLayer());
            assertEquals("/var/lib/docker", source.imageFilesystems().get(0).getFsId().getMountpoint());
        }
        assertEquals(1, calls.get("listContainerStats"), "five requests within " + PodStatsSource.RUNTIME_FS_PERIOD);
        assertEquals(1, calls.get("imageFsInfo"));
    }

    @Test
    void requestsWithinOneViewShareTheSummaryMadeForIt(@TempDir Path tmp) throws Exception {
        write(tmp.resolve("cgroup/cpuacct/docker/" + SANDBOX + "/cpuacct.usage"), "1000\n");
        RuntimePod pod = new RuntimePod("uid-1", "web", "shop", List.of(sandbox(SANDBOX, PodSandboxState.SANDBOX_READY)), List.of());
        AtomicReference<Map<String, RuntimePod>> relisted = new AtomicReference<>(Map.of("uid-1", pod));
        PodStatsSource source = new PodStatsSource(PodListing.fromPleg(relisted::get), runtime(RuntimeService.class),
                runtime(ImageService.class), new CgroupStatsReader(tmp.resolve("cgroup"), tmp.resolve("proc"),
                Clock.systemUTC(), Duration.ofMinutes(1)));
        try (VolumeStatsCache volumes = new VolumeStatsCache(tmp.resolve("pods"), List::of, Duration.ofMinutes(1), Clock.systemUTC())) {
            SummaryProvider provider = new SummaryProvider("n1", source, volumes, tmp, tmp, 1 << 30,
                    new HostInfo(tmp.resolve("proc")), Clock.systemUTC());
            Summary cpuOnly = provider.summary(true);
            assertEquals("web", cpuOnly.pods().get(0).podRef().name());
            assertSame(cpuOnly, provider.summary(true), "same cgroup snapshot, same relist");
            Summary full = provider.summary(false);
            assertNotSame(cpuOnly, full);
            assertSame(full, provider.summary(false));

            relisted.set(Map.of()); // a new relist: a new answer
            assertTrue(provider.summary(true).pods().isEmpty());
            assertTrue(provider.summary(false).pods().isEmpty());
        }
    }

    private static PodSandbox sandbox(String id, PodSandboxState state) {
        return PodSandbox.newBuilder().setId(id).setState(state)
                .setMetadata(PodSandboxMetadata.newBuilder().setName("web").setNamespace("shop").setUid("uid-1")).build();
    }

    private static Container container(String id, String name, ContainerState state) {
        return Container.newBuilder().setId(id).setPodSandboxId(SANDBOX).setState(state)
                .setMetadata(ContainerMetadata.newBuilder().setName(name)).build();
    }

    private static void write(Path file, String content) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }
}
