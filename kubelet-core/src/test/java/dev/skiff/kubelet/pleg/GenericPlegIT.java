package dev.skiff.kubelet.pleg;

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

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static dev.skiff.kubelet.pleg.PodLifecycleEventType.*;
import static org.junit.jupiter.api.Assertions.*;

/** PLEG against the real Docker Engine through the Docker CRI shim. */
class GenericPlegIT {
    /** Relists every 200 ms here; "within a few relists" means within this. */
    private static final Duration PERIOD = Duration.ofMillis(200);
    private static final Duration WITHIN = Duration.ofSeconds(60);

    @TempDir
    Path logRoot;
    private String namespace;
    private DockerCriRuntime cri;
    private GenericPleg pleg;

    @BeforeEach
    void setUp() {
        namespace = TestDocker.newNamespace("skiff-pleg-it");
        cri = DockerCriRuntime.connect(new DockerShimConfig(TestDocker.ENDPOINT, null));
        pleg = new GenericPleg(cri.runtime(), PERIOD, GenericPleg.DEFAULT_CAPACITY,
                GenericPleg.DEFAULT_RELIST_THRESHOLD, java.time.Clock.systemUTC());
    }

    @AfterEach
    void tearDown() {
        try {
            pleg.close();
            cri.close();
        } finally {
            TestDocker.removeNamespace(namespace);
        }
    }

    @Test
    void reportsStartDeathAndRemovalOfContainersAndSandboxes() throws Exception {
        RuntimeService rt = cri.runtime();
        String image = TestImages.busybox(TestDocker.client());
        String uid = UUID.randomUUID().toString();
        PodSandboxConfig sandbox = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName("web").setNamespace(namespace).setUid(uid))
                .setHostname("web")
                .setLogDirectory(logRoot.resolve(namespace + "_web_" + uid).toString())
                .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(
                        LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(NamespaceOption.newBuilder())))
                .build();
        pleg.start();

        String sandboxId = rt.runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(sandbox).build()).getPodSandboxId();
        awaitEvent(uid, CONTAINER_STARTED, sandboxId);

        String longId = start(rt, sandboxId, sandbox, image, "app", "sleep 300");
        awaitEvent(uid, CONTAINER_STARTED, longId);
        String shortId = start(rt, sandboxId, sandbox, image, "job", "sleep 2; exit 3");
        awaitEvent(uid, CONTAINER_STARTED, shortId);

        RuntimePod pod = pleg.pod(uid).orElseThrow();
        assertEquals(namespace + "/web", pod.fullName());
        assertEquals(sandboxId, pod.latestSandbox().orElseThrow().getId());
        assertEquals(longId, pod.latestContainer("app").orElseThrow().getId());
        assertEquals(ContainerState.CONTAINER_RUNNING, pod.container(longId).orElseThrow().getState());

        // exits on its own
        awaitEvent(uid, CONTAINER_DIED, shortId);
        rt.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(shortId).build());
        awaitEvent(uid, CONTAINER_REMOVED, shortId);

        // stopped by us, then the sandbox goes
        rt.stopContainer(StopContainerRequest.newBuilder().setContainerId(longId).setTimeout(0).build());
        awaitEvent(uid, CONTAINER_DIED, longId);
        rt.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(sandboxId).build());
        awaitEvent(uid, CONTAINER_DIED, sandboxId);
        rt.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(sandboxId).build());
        awaitEvent(uid, CONTAINER_REMOVED, sandboxId);
        awaitEvent(uid, CONTAINER_REMOVED, longId);

        long deadline = System.nanoTime() + WITHIN.toNanos();
        while (pleg.pod(uid).isPresent() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(pleg.pod(uid).isEmpty(), "the removed pod leaves the cache");
        assertTrue(pleg.healthy());
        RelistStats stats = pleg.stats();
        System.out.printf("PLEG relists against Docker: %d, last %s, ewma %s, max %s%n",
                stats.relists(), stats.last(), stats.ewma(), stats.max());
    }

    private static String start(RuntimeService rt, String sandboxId, PodSandboxConfig sandbox, String image, String name, String script) {
        ContainerConfig.Builder c = ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName(name))
                .setImage(ImageSpec.newBuilder().setImage(image))
                .addCommand("sh").addArgs("-c").addArgs(script)
                .setLogPath(name + "/0.log");
        c.getLinuxBuilder().getSecurityContextBuilder()
                .setNamespaceOptions(sandbox.getLinux().getSecurityContext().getNamespaceOptions());
        String id = rt.createContainer(CreateContainerRequest.newBuilder()
                .setPodSandboxId(sandboxId).setConfig(c).setSandboxConfig(sandbox).build()).getContainerId();
        rt.startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
        return id;
    }

    /** Takes events until this pod's {@code type} for {@code id} arrives; other pods' events are skipped. */
    private final List<PodLifecycleEvent> seen = new ArrayList<>();

    private void awaitEvent(String uid, PodLifecycleEventType type, String id) throws InterruptedException {
        PodLifecycleEvent want = new PodLifecycleEvent(uid, type, id);
        if (seen.remove(want)) {
            return;
        }
        long deadline = System.nanoTime() + WITHIN.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            PodLifecycleEvent e = left > 0 ? pleg.events().poll(left, TimeUnit.NANOSECONDS) : null;
            if (e == null) {
                fail("no " + want + " within " + WITHIN + "; this pod's events so far: " + seen);
            }
            if (e.equals(want)) {
                return;
            }
            if (e.podUid().equals(uid)) {
                seen.add(e);
            }
        }
    }
}
