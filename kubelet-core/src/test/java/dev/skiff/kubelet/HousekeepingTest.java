package dev.skiff.kubelet;

import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.ContainerMetadata;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.kubelet.kuberuntime.KubeAnnotations;
import dev.skiff.kubelet.pleg.GenericPleg;
import dev.skiff.kubelet.pleg.RuntimePod;
import dev.skiff.kubelet.status.StatusManager;
import dev.skiff.kubelet.worker.CrashLoopBackOff;
import dev.skiff.kubelet.worker.PodWorkers;
import dev.skiff.kubelet.worker.UpdatePodOptions;
import dev.skiff.kubelet.worker.UpdateType;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HousekeepingTest {
    private static final Duration WAIT = Duration.ofSeconds(3);

    @TempDir
    Path tmp;

    private final FakeCri cri = new FakeCri();
    private final RecordingSyncer syncer = new RecordingSyncer();
    private final PodManager pods = new PodManager();
    private final StatusManager statuses = new StatusManager();
    private PodWorkers<Pod> workers;
    private GenericPleg pleg;
    private Path podsDir;
    private Path mountInfo;
    private Housekeeping housekeeping;

    @BeforeEach
    void setUp() throws IOException {
        workers = new PodWorkers<>(syncer, 2, Duration.ofSeconds(10), Clock.systemUTC());
        pleg = new GenericPleg(cri.service(), Duration.ofSeconds(1), 100, Duration.ofMinutes(3), Clock.systemUTC());
        podsDir = Files.createDirectories(tmp.resolve("pods"));
        mountInfo = tmp.resolve("mountinfo");
        Files.writeString(mountInfo, "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n");
        housekeeping = new Housekeeping(pods, workers, pleg, statuses, new CrashLoopBackOff(), podsDir,
                new PodDirs(mountInfo), uid -> false);
    }

    @AfterEach
    void tearDown() {
        workers.close(Duration.ofSeconds(2));
        pleg.close();
    }

    static Pod pod(String uid, String name) {
        return new PodBuilder()
                .withNewMetadata().withName(name).withNamespace("default").withUid(uid).endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("busybox").endContainer().endSpec()
                .build();
    }

    /** A desired pod the workers have started, as the sync loop leaves it. */
    private void desiredAndStarted(String uid, String name) throws InterruptedException {
        Pod p = pod(uid, name);
        pods.put(p);
        workers.updatePod(new UpdatePodOptions<>(uid, "default/" + name, UpdateType.CREATE, p));
        assertTrue(syncer.awaitPrefix("sync " + uid + " CREATE", WAIT));
    }

    // ---- orphanPod ----

    private static Container container(String name, Map<String, String> annotations) {
        return Container.newBuilder().setId("id-" + name).setMetadata(ContainerMetadata.newBuilder().setName(name))
                .putAllAnnotations(annotations).build();
    }

    @Test
    void orphanPodTakesTheGracePeriodFromTheContainerAnnotation() {
        RuntimePod rp = new RuntimePod("u1", "web-node1", "kube-system", List.of(PodSandbox.getDefaultInstance()),
                List.of(container("app", Map.of(KubeAnnotations.POD_TERMINATION_GRACE_PERIOD, "7"))));
        Pod p = Housekeeping.orphanPod(rp);
        assertEquals("web-node1", p.getMetadata().getName());
        assertEquals("kube-system", p.getMetadata().getNamespace());
        assertEquals("u1", p.getMetadata().getUid());
        assertEquals(7L, p.getSpec().getTerminationGracePeriodSeconds());
        assertEquals(List.of(), p.getSpec().getContainers());
    }

    @Test
    void orphanPodDefaultsTo30Seconds() {
        RuntimePod noContainers = new RuntimePod("u1", "web", "default", List.of(PodSandbox.getDefaultInstance()), List.of());
        assertEquals(30L, Housekeeping.orphanPod(noContainers).getSpec().getTerminationGracePeriodSeconds());
        RuntimePod noAnnotation = new RuntimePod("u1", "web", "default", List.of(), List.of(container("app", Map.of())));
        assertEquals(30L, Housekeeping.orphanPod(noAnnotation).getSpec().getTerminationGracePeriodSeconds());
        RuntimePod garbage = new RuntimePod("u1", "web", "default", List.of(),
                List.of(container("app", Map.of(KubeAnnotations.POD_TERMINATION_GRACE_PERIOD, "soon"))));
        assertEquals(30L, Housekeeping.orphanPod(garbage).getSpec().getTerminationGracePeriodSeconds());
    }

    // ---- run ----

    /**
     * A pod the runtime runs but nobody wants (its manifest went while the kubelet was down) must be killed:
     * upstream HandlePodCleanups sends SyncPodKill with a RunningPod and the pod workers call
     * SyncTerminatingRuntimePod for it.
     */
    @Test
    void runKillsARuntimePodThatIsNotDesired() throws Exception {
        PodSandbox s = cri.sandbox("sb-orphan", "orphan-uid", "old-node1", "default");
        cri.container("c-orphan", s.getId(), "app", Map.of(KubeAnnotations.POD_TERMINATION_GRACE_PERIOD, "5"));
        Files.createDirectories(podsDir.resolve("orphan-uid")); // made by this kubelet
        assertTrue(pleg.relist());

        housekeeping.run();

        assertTrue(syncer.awaitPrefix("terminating orphan-uid", WAIT),
                "the orphan was never handed to syncTerminatingPod; calls: " + syncer.calls());
        assertTrue(syncer.calls().contains("terminating orphan-uid PT5S"), syncer.calls().toString());
    }

    /** A pod without a directory under our root dir belongs to another kubelet or CRI client on the same Docker. */
    @Test
    void runLeavesAnotherKubeletsPodAlone() throws Exception {
        PodSandbox s = cri.sandbox("sb-foreign", "foreign-uid", "web-other", "default");
        cri.container("c-foreign", s.getId(), "app", Map.of());
        assertTrue(pleg.relist());

        housekeeping.run();
        housekeeping.run();

        assertTrue(workers.state("foreign-uid").isEmpty(), "a pod that is not ours was handed to the workers");
        assertTrue(syncer.calls().isEmpty(), syncer.calls().toString());
    }

    @Test
    void runLeavesADesiredRuntimePodAlone() throws InterruptedException {
        PodSandbox s = cri.sandbox("sb-web", "web-uid", "web-node1", "default");
        cri.container("c-web", s.getId(), "app", Map.of());
        assertTrue(pleg.relist());
        desiredAndStarted("web-uid", "web-node1");

        housekeeping.run();
        housekeeping.run();

        // a later update is served after anything housekeeping queued for the pod
        Pod p = pods.get("web-uid").orElseThrow();
        workers.updatePod(new UpdatePodOptions<>("web-uid", "default/web-node1", UpdateType.SYNC, p));
        assertTrue(syncer.awaitPrefix("sync web-uid SYNC", WAIT));
        assertFalse(syncer.anyStartsWith("terminating web-uid"), syncer.calls().toString());
        assertFalse(syncer.anyStartsWith("terminated web-uid"), syncer.calls().toString());
    }

    @Test
    void runRemovesOrphanedDirsButKeepsDesiredRunningAndMountedOnes() throws IOException, InterruptedException {
        desiredAndStarted("web-uid", "web-node1");
        PodSandbox s = cri.sandbox("sb-running", "running-uid", "other", "default");
        cri.container("c-running", s.getId(), "app", Map.of());
        assertTrue(pleg.relist());

        Path desired = Files.createDirectories(podsDir.resolve("web-uid/volumes"));
        Path running = Files.createDirectories(podsDir.resolve("running-uid"));
        Path orphan = Files.createDirectories(podsDir.resolve("gone-uid/containers/app"));
        Files.writeString(orphan.resolve("0000"), "x");
        Path mounted = Files.createDirectories(podsDir.resolve("mounted-uid/volumes/kubernetes.io~empty-dir/v"));
        Files.writeString(mountInfo, "101 22 0:50 / " + mounted + " rw - tmpfs tmpfs rw\n", java.nio.file.StandardOpenOption.APPEND);

        housekeeping.run();

        assertFalse(Files.exists(podsDir.resolve("gone-uid")), "an orphaned, unmounted dir is removed");
        assertTrue(Files.isDirectory(desired), "a desired pod's dir stays");
        assertTrue(Files.isDirectory(running), "a pod still in the runtime keeps its dir");
        assertTrue(Files.isDirectory(mounted), "a dir with a mount in it stays");
    }

    @Test
    void runDropsStatusesOfPodsNobodyWantsOrWorksOn() throws InterruptedException {
        desiredAndStarted("web-uid", "web-node1");
        statuses.setPodStatus(pods.get("web-uid").orElseThrow(), new PodStatusBuilder().withPhase("Running").build());
        statuses.setPodStatus(pod("gone-uid", "gone"), new PodStatusBuilder().withPhase("Failed").build());

        housekeeping.run();

        assertEquals(java.util.Set.of("web-uid"), statuses.uids());
    }

    @Test
    void runWithoutAPodsDirDoesNothingToDirs() throws IOException {
        Files.delete(podsDir);
        housekeeping.run(); // must not throw
        assertFalse(Files.exists(podsDir));
    }
}
