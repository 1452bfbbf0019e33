package dev.skiff.kubelet;

import dev.skiff.kubelet.events.EventStore;
import dev.skiff.kubelet.events.EventType;

import dev.skiff.kubelet.admission.AdmitResult;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.kubelet.admission.NodeInfo;
import dev.skiff.kubelet.admission.PodAdmitter;
import dev.skiff.kubelet.pleg.GenericPleg;
import dev.skiff.kubelet.source.PodConfig;
import dev.skiff.kubelet.status.StatusManager;
import dev.skiff.kubelet.worker.CrashLoopBackOff;
import dev.skiff.kubelet.worker.PodWorkers;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A real SyncLoop over real PodConfig, PLEG (on an in-memory runtime), PodWorkers, StatusManager and Housekeeping. */
@Timeout(20)
class SyncLoopTest {
    private static final String SOURCE = "file";
    private static final Duration WAIT = Duration.ofSeconds(3);

    @TempDir
    Path tmp;

    private final FakeCri cri = new FakeCri();
    private final RecordingSyncer syncer = new RecordingSyncer();
    private final PodConfig config = new PodConfig();
    private final PodManager pods = new PodManager();
    private final StatusManager statuses = new StatusManager();
    private final WorkQueue queue = new WorkQueue();
    private final EventStore events = new EventStore(Clock.systemUTC());
    private PodWorkers<Pod> workers;
    private GenericPleg pleg;
    private SyncLoop loop;

    @BeforeEach
    void setUp() throws IOException {
        Clock clock = Clock.systemUTC();
        workers = new PodWorkers<>(syncer, 2, Duration.ofSeconds(10), clock);
        pleg = new GenericPleg(cri.service(), Duration.ofSeconds(1), 100, Duration.ofMinutes(3), clock);
        Path podsDir = Files.createDirectories(tmp.resolve("pods"));
        Path mountInfo = Files.writeString(tmp.resolve("mountinfo"), "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n");
        Housekeeping housekeeping = new Housekeeping(pods, workers, pleg, statuses, new CrashLoopBackOff(), podsDir,
                new PodDirs(mountInfo), uid -> false);
        loop = new SyncLoop(config, Set.of(SOURCE), pleg, pods, workers, new NodeInfo("node1", Map.of(), 110), statuses,
                housekeeping, queue, clock, p -> AdmitResult.admit(), events);
        loop.start();
    }

    @AfterEach
    void tearDown() {
        loop.close();
        workers.close(Duration.ofSeconds(2));
        pleg.close();
    }

    private static Pod pod(String uid, String name, String nodeName) {
        return new PodBuilder()
                .withNewMetadata().withName(name + "-node1").withNamespace("default").withUid(uid)
                .addToAnnotations("kubernetes.io/config.source", SOURCE).endMetadata()
                .withNewSpec().withNodeName(nodeName).withTerminationGracePeriodSeconds(4L)
                .addNewContainer().withName("app").withImage("busybox").endContainer().endSpec()
                .build();
    }

    private static <T> Optional<T> await(Supplier<Optional<T>> probe, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<T> v = probe.get();
            if (v.isPresent()) {
                return v;
            }
            Thread.sleep(10);
        }
        return probe.get();
    }

    @Test
    void anAddedPodIsSyncedAsCreate() throws InterruptedException {
        config.update(SOURCE, List.of(pod("u1", "web", null)));
        assertTrue(syncer.awaitPrefix("sync u1 CREATE", WAIT), syncer.calls().toString());
        assertTrue(pods.isAdmitted("u1"));
        assertTrue(loop.sourcesReady());
        assertEquals(Optional.empty(), loop.health());
    }

    @Test
    void aPodForAnotherNodeIsRejectedNotSynced() throws InterruptedException {
        config.update(SOURCE, List.of(pod("u-other", "elsewhere", "other")));
        Optional<PodStatus> status = await(() -> statuses.status("u-other"), WAIT);
        assertTrue(status.isPresent(), "a rejected pod gets a status");
        assertEquals("Failed", status.get().getPhase());
        assertEquals(PodAdmitter.REASON_NODE_NAME, status.get().getReason());
        assertTrue(pods.isRejected("u-other"));
        var rejected = events.list("default/elsewhere-node1");
        assertEquals(1, rejected.size(), rejected.toString());
        assertEquals(EventType.WARNING, rejected.get(0).type());
        assertEquals(PodAdmitter.REASON_NODE_NAME, rejected.get(0).reason());
        assertEquals(status.get().getMessage(), "Pod was rejected: " + rejected.get(0).message()); // as upstream

        // a pod added after it is synced, so the loop is past the rejected one
        config.update(SOURCE, List.of(pod("u-other", "elsewhere", "other"), pod("u-here", "here", "node1")));
        assertTrue(syncer.awaitPrefix("sync u-here CREATE", WAIT), syncer.calls().toString());
        assertFalse(syncer.anyStartsWith("sync u-other"), syncer.calls().toString());
        assertFalse(syncer.anyStartsWith("terminating u-other"), syncer.calls().toString());
    }

    @Test
    void aRemovedPodIsTerminatedWithItsGracePeriod() throws InterruptedException {
        config.update(SOURCE, List.of(pod("u1", "web", null)));
        assertTrue(syncer.awaitPrefix("sync u1 CREATE", WAIT), syncer.calls().toString());

        config.update(SOURCE, List.of());
        assertTrue(syncer.awaitPrefix("terminating u1 PT4S", WAIT), syncer.calls().toString());
        assertTrue(syncer.awaitPrefix("terminated u1", WAIT), syncer.calls().toString());
        assertFalse(pods.isDesired("u1"));
    }

    @Test
    void aDueWorkQueueEntryIsSyncedWithinTwoSeconds() throws InterruptedException {
        config.update(SOURCE, List.of(pod("u1", "web", null)));
        assertTrue(syncer.awaitPrefix("sync u1 CREATE", WAIT), syncer.calls().toString());
        assertFalse(syncer.anyStartsWith("sync u1 SYNC"));

        queue.enqueue("u1", Instant.now(), Duration.ZERO);
        assertTrue(syncer.awaitPrefix("sync u1 SYNC", Duration.ofSeconds(2)), syncer.calls().toString());
        assertEquals(0, queue.size());
    }

    @Test
    void aNotYetDueEntryIsNotSynced() throws InterruptedException {
        config.update(SOURCE, List.of(pod("u1", "web", null)));
        assertTrue(syncer.awaitPrefix("sync u1 CREATE", WAIT), syncer.calls().toString());
        queue.enqueue("u1", Instant.now(), Duration.ofMinutes(5));
        // at least one 1 s tick passes in this window
        assertFalse(syncer.await(c -> c.equals("sync u1 SYNC"), Duration.ofMillis(1500)), syncer.calls().toString());
        assertEquals(1, queue.size());
    }

    @Test
    void aPlegEventForAnAdmittedPodSyncsIt() throws InterruptedException {
        config.update(SOURCE, List.of(pod("u1", "web", null)));
        assertTrue(syncer.awaitPrefix("sync u1 CREATE", WAIT), syncer.calls().toString());

        PodSandbox s = cri.sandbox("sb1", "u1", "web-node1", "default");
        cri.container("c1", s.getId(), "app", Map.of());
        assertTrue(pleg.relist());
        assertTrue(syncer.awaitPrefix("sync u1 SYNC", WAIT), syncer.calls().toString());
    }
}
