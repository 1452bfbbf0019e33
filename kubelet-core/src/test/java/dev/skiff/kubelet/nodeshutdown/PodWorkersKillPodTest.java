package dev.skiff.kubelet.nodeshutdown;

import dev.skiff.kubelet.status.StatusManager;
import dev.skiff.kubelet.worker.PodSyncer;
import dev.skiff.kubelet.worker.PodWorkers;
import dev.skiff.kubelet.worker.SyncContext;
import dev.skiff.kubelet.worker.UpdatePodOptions;
import dev.skiff.kubelet.worker.UpdateType;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static dev.skiff.kubelet.nodeshutdown.NodeShutdownManagerTest.await;
import static dev.skiff.kubelet.nodeshutdown.NodeShutdownManagerTest.pod;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real pod workers and status manager, with a syncer that writes statuses the way the kubelet's does. */
class PodWorkersKillPodTest {
    private final StatusManager statuses = new StatusManager();
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Void> terminating = new CompletableFuture<>();
    private volatile boolean slowKill;
    private final PodWorkers<Pod> workers = new PodWorkers<>(new PodSyncer<>() {
        @Override
        public CompletionStage<Boolean> syncPod(Pod pod, UpdateType type, SyncContext context) {
            calls.add("sync");
            statuses.setPodStatus(pod, status("Running"));
            return CompletableFuture.completedFuture(false);
        }

        @Override
        public CompletionStage<Void> syncTerminatingPod(Pod pod, Duration grace, SyncContext context) {
            calls.add("terminating " + grace.toSeconds());
            // the kill waits without a thread, as the kubelet's does
            CompletableFuture<Void> stopped = slowKill ? terminating : CompletableFuture.completedFuture(null);
            return context.then(stopped, v -> {
                statuses.setPodStatus(pod, status("Failed")); // the generated terminal status: no reason
                return null;
            });
        }

        @Override
        public void syncTerminatedPod(Pod pod) {
            calls.add("terminated");
            statuses.setPodStatus(pod, status("Failed")); // a desired static pod's status is written once more
        }

        @Override
        public Duration gracePeriod(Pod pod) {
            return Duration.ofSeconds(30);
        }
    }, 2, Duration.ofSeconds(10), Clock.systemUTC());

    private static PodStatus status(String phase) {
        return new PodStatusBuilder().withPhase(phase)
                .withConditions(new PodConditionBuilder().withType("Ready").withStatus("False").build()).build();
    }

    @AfterEach
    void close() {
        terminating.complete(null);
        workers.close();
    }

    private Pod running(String name) throws InterruptedException {
        Pod p = pod(name, null, 30L);
        workers.updatePod(new UpdatePodOptions<>(p.getMetadata().getUid(), "default/" + name, UpdateType.CREATE, p));
        await("synced", () -> calls.contains("sync"));
        return p;
    }

    @Test
    void killsWithTheOverrideAndTheStatusSticks() throws Exception {
        Pod p = running("app");
        new PodWorkersKillPod(workers, statuses).killPod(p, Duration.ofSeconds(7), NodeShutdownStatus::apply)
                .get(10, TimeUnit.SECONDS);

        assertEquals(List.of("sync", "terminating 7", "terminated"), calls);
        assertTrue(workers.isPodFinished("uid-app"));
        PodStatus s = statuses.status("uid-app").orElseThrow();
        assertEquals("Failed", s.getPhase());
        assertEquals("Terminated", s.getReason());
        assertEquals(NodeShutdownStatus.MESSAGE, s.getMessage());
        assertTrue(s.getConditions().stream().anyMatch(c -> c.getType().equals("DisruptionTarget")
                && c.getStatus().equals("True") && c.getLastTransitionTime() != null), s.getConditions().toString());
        // a later PLEG event or resync cannot bring the pod back or rewrite its status
        workers.updatePod(new UpdatePodOptions<>("uid-app", "default/app", UpdateType.SYNC, p));
        Thread.sleep(100);
        assertEquals("Terminated", statuses.status("uid-app").orElseThrow().getReason());
        assertEquals(3, calls.size(), calls.toString());
    }

    @Test
    void aHundredPodsStopTogetherOnTwoWorkerThreads() throws Exception {
        slowKill = true;
        List<Pod> pods = new java.util.ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Pod p = pod("p" + i, null, 30L);
            workers.updatePod(new UpdatePodOptions<>(p.getMetadata().getUid(), "default/p" + i, UpdateType.CREATE, p));
            pods.add(p);
        }
        await("all synced", () -> calls.stream().filter("sync"::equals).count() == 100);
        PodWorkersKillPod kill = new PodWorkersKillPod(workers, statuses);
        List<CompletableFuture<Void>> kills = pods.stream()
                .map(p -> kill.killPod(p, Duration.ofSeconds(5), NodeShutdownStatus::apply)).toList();
        // every pod's grace period runs at the same time: none waits for a worker thread another one holds
        await("all terminating at once", () -> calls.stream().filter("terminating 5"::equals).count() == 100);
        assertTrue(kills.stream().noneMatch(CompletableFuture::isDone));
        terminating.complete(null);
        CompletableFuture.allOf(kills.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
        assertEquals("Terminated", statuses.status("uid-p42").orElseThrow().getReason());
    }

    @Test
    void timeoutIsOneAndAHalfGraceAtLeastTenSeconds() {
        Duration min = PodWorkersKillPod.MIN_TIMEOUT;
        assertEquals(Duration.ofSeconds(10), PodWorkersKillPod.timeout(Duration.ZERO, min));
        assertEquals(Duration.ofSeconds(10), PodWorkersKillPod.timeout(Duration.ofSeconds(6), min));
        assertEquals(Duration.ofSeconds(30), PodWorkersKillPod.timeout(Duration.ofSeconds(20), min));
    }

    @Test
    void aPodThatDoesNotStopInTimeIsAnError() throws Exception {
        Pod p = running("slow");
        slowKill = true;
        long t0 = System.nanoTime();
        ExecutionException failed = assertThrows(ExecutionException.class,
                () -> new PodWorkersKillPod(workers, statuses, Duration.ofMillis(500))
                        .killPod(p, Duration.ZERO, NodeShutdownStatus::apply).get(20, TimeUnit.SECONDS));
        TimeoutException e = assertInstanceOf(TimeoutException.class, failed.getCause());
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(500), "waited the minimum");
        assertTrue(e.getMessage().contains("timeout waiting to kill pod default/slow (uid-slow)"), e.getMessage());
        assertTrue(statuses.status("uid-slow").map(s -> s.getReason() == null).orElse(true),
                "no shutdown status for a pod that did not stop");
    }
}
