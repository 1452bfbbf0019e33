package dev.skiff.kubelet.nodeshutdown;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NodeShutdownManagerTest {
    private final FakeInhibitor logind = new FakeInhibitor();
    private final List<Pod> pods = Collections.synchronizedList(new ArrayList<>());
    private final List<String> killed = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Duration> graces = new ConcurrentHashMap<>();
    private final Map<String, PodStatus> finalStatus = new ConcurrentHashMap<>();
    private NodeShutdownManager manager;

    /** Kills at once, recording order, grace period and what the status function makes of a Running status. */
    private CompletableFuture<Void> kill(Pod pod, Duration grace, java.util.function.Consumer<PodStatus> fn) {
        String name = pod.getMetadata().getName();
        killed.add(name);
        graces.put(name, grace);
        PodStatus s = new PodStatusBuilder().withPhase(name.startsWith("done") ? "Succeeded" : "Running")
                .withConditions(new PodConditionBuilder().withType("Ready").withStatus("True").build()).build();
        fn.accept(s);
        finalStatus.put(name, s);
        return CompletableFuture.completedFuture(null);
    }

    private NodeShutdownManager start(Duration grace, Duration critical, KillPodFunction killer) {
        manager = new NodeShutdownManager(ShutdownGroups.fromConfig(grace, critical), logind, () -> List.copyOf(pods),
                killer, Duration.ofMillis(50));
        manager.start();
        return manager;
    }

    @AfterEach
    void close() {
        if (manager != null) {
            manager.close();
        }
    }

    static Pod pod(String name, Integer priority, Long grace) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace("default").withUid("uid-" + name)
                .withAnnotations(Map.of("kubernetes.io/config.source", "file")).endMetadata()
                .withNewSpec().withPriority(priority).withTerminationGracePeriodSeconds(grace).endSpec().build();
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void shutdownStopsRegularPodsFirstThenCriticalWithTheirShares() throws Exception {
        pods.addAll(List.of(
                pod("app", null, 30L),                     // priority unset = 0: regular
                pod("short", 1000, 3L),                    // own grace below the group's: kept
                pod("cluster-critical", 2_000_000_000, 60L),
                pod("node-critical", 2_000_001_000, null),
                pod("negative", -5, 600L)));
        start(Duration.ofSeconds(30), Duration.ofSeconds(10), this::kill);
        await("watch", manager::watching);
        assertEquals(1, logind.held());

        logind.emit(true);
        await("lock released", () -> logind.held() == 0);

        assertEquals(5, killed.size(), killed.toString());
        List<String> first = killed.subList(0, 3);
        assertTrue(first.containsAll(List.of("app", "short", "negative")), "regular pods first: " + killed);
        assertTrue(killed.subList(3, 5).containsAll(List.of("cluster-critical", "node-critical")), killed.toString());
        assertEquals(Duration.ofSeconds(20), graces.get("app"), "grace - critical");
        assertEquals(Duration.ofSeconds(3), graces.get("short"), "the pod's own shorter grace period");
        assertEquals(Duration.ofSeconds(20), graces.get("negative"), "capped at the group's");
        assertEquals(Duration.ofSeconds(10), graces.get("cluster-critical"), "critical share");
        assertEquals(Duration.ofSeconds(10), graces.get("node-critical"), "unset own grace: the group's");
        assertTrue(manager.shuttingDown());
        assertEquals(List.of("lock", "monitor", "release"), logind.events());
    }

    @Test
    void killedPodsGetUpstreamsStatus() throws Exception {
        pods.addAll(List.of(pod("app", null, null), pod("done-job", null, null)));
        start(Duration.ofSeconds(5), Duration.ZERO, this::kill);
        await("watch", manager::watching);
        logind.emit(true);
        await("lock released", () -> logind.held() == 0);

        PodStatus s = finalStatus.get("app");
        assertEquals("Failed", s.getPhase());
        assertEquals("Terminated", s.getReason());
        assertEquals("Pod was terminated in response to imminent node shutdown.", s.getMessage());
        var disruption = s.getConditions().stream().filter(c -> c.getType().equals("DisruptionTarget")).toList();
        assertEquals(1, disruption.size(), s.getConditions().toString());
        assertEquals("True", disruption.get(0).getStatus());
        assertEquals("TerminationByKubelet", disruption.get(0).getReason());
        assertEquals("Pod was terminated in response to imminent node shutdown.", disruption.get(0).getMessage());
        assertTrue(s.getConditions().stream().anyMatch(c -> c.getType().equals("Ready")), "other conditions kept");
        assertEquals("Succeeded", finalStatus.get("done-job").getPhase(), "a Succeeded pod stays Succeeded");
        assertEquals("Terminated", finalStatus.get("done-job").getReason());
    }

    @Test
    void admissionIsBlockedWhileShuttingDownAndReopensWhenCancelled() throws Exception {
        CompletableFuture<Void> release = new CompletableFuture<>();
        pods.add(pod("app", null, null));
        start(Duration.ofSeconds(30), Duration.ZERO, (p, g, fn) -> release);
        await("watch", manager::watching);
        assertTrue(manager.admit(pod("new", null, null)).admitted());

        logind.emit(true);
        await("shutting down", manager::shuttingDown);
        var r = manager.admit(pod("new", null, null));
        assertFalse(r.admitted());
        assertEquals("NodeShutdown", r.reason());
        assertEquals("Pod was rejected as the node is shutting down.", r.message());
        assertEquals("Pod was rejected: Pod was rejected as the node is shutting down.",
                r.rejectedStatus("BestEffort").getMessage(), "as upstream's rejectPod writes it");
        release.complete(null);
        await("lock released", () -> logind.held() == 0);

        logind.emit(false);
        await("lock again", () -> logind.held() == 1);
        assertFalse(manager.shuttingDown());
        assertTrue(manager.admit(pod("new", null, null)).admitted());
        assertEquals(2, logind.locksTaken.get());
    }

    @Test
    void groupPeriodBoundsTheWaitThenCriticalPodsGoAnyway() throws Exception {
        CompletableFuture<Void> never = new CompletableFuture<>();
        pods.addAll(List.of(pod("stuck", null, null), pod("critical", 2_000_000_000, null)));
        List<Long> startedAt = Collections.synchronizedList(new ArrayList<>());
        long t0 = System.nanoTime();
        start(Duration.ofSeconds(2), Duration.ofSeconds(1), (p, g, fn) -> {
            startedAt.add(System.nanoTime() - t0);
            killed.add(p.getMetadata().getName());
            return p.getMetadata().getName().equals("stuck") ? never : CompletableFuture.completedFuture(null);
        });
        await("watch", manager::watching);
        long signalled = System.nanoTime() - t0;
        logind.emit(true);
        await("lock released", () -> logind.held() == 0);
        assertEquals(List.of("stuck", "critical"), killed);
        long criticalAfter = startedAt.get(1) - signalled;
        assertTrue(criticalAfter >= TimeUnit.MILLISECONDS.toNanos(950),
                "critical pods wait for the regular group's 1s: " + criticalAfter / 1_000_000 + "ms");
        never.complete(null);
    }

    @Test
    void aHundredPodsThatDoNotStopAreAllAskedAndTheGroupsGoOnAtTheirDeadlines() throws Exception {
        // each kill waits out a grace period longer than the group's share: none may hold the others back
        for (int i = 0; i < 100; i++) {
            pods.add(pod("app" + i, null, 30L));
        }
        pods.add(pod("critical", 2_000_000_000, null));
        List<CompletableFuture<Void>> pending = Collections.synchronizedList(new ArrayList<>());
        start(Duration.ofSeconds(2), Duration.ofSeconds(1), (p, g, fn) -> {
            killed.add(p.getMetadata().getName());
            CompletableFuture<Void> f = new CompletableFuture<>();
            pending.add(f);
            return f;
        });
        await("watch", manager::watching);
        logind.emit(true);
        await("lock released", () -> logind.held() == 0);
        assertEquals(101, killed.size(), "every pod was asked to stop, the critical one after the 100 others");
        assertEquals("critical", killed.get(100));
        pending.forEach(f -> f.complete(null));
    }

    @Test
    void emptyGroupsAreNotWaitedFor() throws Exception {
        pods.add(pod("critical", 2_000_000_000, null));
        start(Duration.ofSeconds(60), Duration.ofSeconds(5), this::kill);
        await("watch", manager::watching);
        long t0 = System.nanoTime();
        logind.emit(true);
        await("lock released", () -> logind.held() == 0);
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(3), "no wait for the empty regular group");
        assertEquals(List.of("critical"), killed);
    }

    @Test
    void shortLogindDelayIsRaisedThroughADropInAndAReload() throws Exception {
        logind.delay = Duration.ofSeconds(5);
        start(Duration.ofSeconds(45), Duration.ofSeconds(15), this::kill);
        await("watch", manager::watching);
        assertEquals(Duration.ofSeconds(45), logind.overriddenTo);
        assertEquals(List.of("override 45", "reload", "lock", "monitor"), logind.events());
        assertTrue(manager.off().isEmpty());
    }

    @Test
    void delayStillShortAfterReloadTurnsTheFeatureOff() throws Exception {
        logind.delay = Duration.ofSeconds(5);
        logind.reloadApplies = false;
        start(Duration.ofSeconds(45), Duration.ZERO, this::kill);
        await("off", () -> manager.off().isPresent());
        assertEquals("node shutdown manager was unable to update logind InhibitDelayMaxSec to 45s (shutdownGracePeriod), "
                + "current value of InhibitDelayMaxSec (5s) is less than requested shutdownGracePeriod", manager.off().get());
        assertEquals(0, logind.locksTaken.get(), "no lock when the delay cannot cover the period");
        logind.reloadApplies = true;
        Thread.sleep(200);
        assertEquals(1, logind.reloads.get(), "no retry after a failed start, as upstream");
    }

    @Test
    void offWithoutLogindAndNothingTaken() throws Exception {
        logind.unavailable = "logind does not answer on the system bus (Failed to connect to bus: No such file or directory)";
        start(Duration.ofSeconds(30), Duration.ZERO, this::kill);
        await("off", () -> manager.off().isPresent());
        assertEquals(logind.unavailable, manager.off().get());
        assertEquals(List.of(), logind.events());
        assertTrue(manager.admit(pod("new", null, null)).admitted());
    }

    @Test
    void offWhenGracePeriodIsZero() {
        start(Duration.ZERO, Duration.ZERO, this::kill);
        assertTrue(manager.off().isPresent());
        assertEquals(List.of(), logind.events(), "logind is not even asked");
    }

    @Test
    void monitorFailureReleasesTheLock() throws Exception {
        logind.monitorFailure = "busctl monitor: Access denied";
        start(Duration.ofSeconds(30), Duration.ZERO, this::kill);
        await("off", () -> manager.off().isPresent());
        assertEquals("failed to monitor shutdown: busctl monitor: Access denied", manager.off().get());
        assertEquals(0, logind.held());
    }

    @Test
    void anEndedWatchIsReestablishedWithAFreshLock() throws Exception {
        start(Duration.ofSeconds(30), Duration.ZERO, this::kill);
        await("watch", manager::watching);
        logind.listener.watchEnded("busctl monitor exited with 1");
        await("second lock", () -> logind.locksTaken.get() == 2);
        await("watch again", manager::watching);
        assertEquals(1, logind.held(), "the old lock goes once the new one is held");
        assertEquals(1, logind.watchesClosed);
    }

    @Test
    void closeReleasesTheLockAndLeavesPodsAlone() throws Exception {
        pods.add(pod("app", null, null));
        start(Duration.ofSeconds(30), Duration.ZERO, this::kill);
        await("watch", manager::watching);
        manager.close();
        assertEquals(0, logind.held());
        assertNull(logind.listener);
        assertEquals(List.of(), killed);
    }
}
