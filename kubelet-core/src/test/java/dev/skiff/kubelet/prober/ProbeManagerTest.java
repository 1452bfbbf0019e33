package dev.skiff.kubelet.prober;

import dev.skiff.kubelet.prober.results.ProbeResult;
import dev.skiff.kubelet.prober.results.ResultUpdate;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The manager on a real scheduler with a scripted runner: one-second periods, generous deadlines. */
class ProbeManagerTest {
    private final AtomicBoolean passes = new AtomicBoolean(true);
    private final AtomicReference<PodStatus> status = new AtomicReference<>();
    private final List<ResultUpdate> updates = new CopyOnWriteArrayList<>();
    private final List<ProbeType> probed = new CopyOnWriteArrayList<>();
    private final ProbeRunner runner = (type, pod, s, c, id) -> {
        probed.add(type);
        return CompletableFuture.completedFuture(new ProbeRunner.Verdict(passes.get(), passes.get() ? "" : "boom"));
    };
    private final ProbeManager manager = new ProbeManager(runner, uid -> Optional.ofNullable(status.get()),
            new ScheduledThreadPoolExecutor(1), () -> { }, Clock.systemUTC());

    ProbeManagerTest() {
        manager.onUpdate(updates::add);
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void readinessFlipsBothWaysAndIsReportedPerContainer() throws Exception {
        Pod pod = ProbePods.pod("Always", """
                readinessProbe:
                  tcpSocket: {port: 8080}
                  periodSeconds: 1
                  failureThreshold: 1
                """);
        status.set(ProbePods.running("c1", Instant.now().minusSeconds(5), true));
        manager.addPod(pod);
        manager.addPod(pod); // idempotent
        assertEquals(1, manager.workerCount());
        await(() -> manager.result(ProbeType.READINESS, "c1").equals(Optional.of(ProbeResult.SUCCESS)), "ready");
        assertEquals(Map.of("app", true), manager.states(pod, name -> Optional.of("c1")).ready());
        passes.set(false);
        await(() -> manager.result(ProbeType.READINESS, "c1").equals(Optional.of(ProbeResult.FAILURE)), "unready");
        assertEquals(Map.of("app", false), manager.states(pod, name -> Optional.of("c1")).ready());
        assertEquals(List.of(ProbeResult.FAILURE, ProbeResult.SUCCESS, ProbeResult.FAILURE),
                updates.stream().map(ResultUpdate::result).toList());
        assertEquals(Optional.empty(), manager.failure("c1"), "readiness never kills");

        manager.removePod(pod);
        assertEquals(0, manager.workerCount());
        assertEquals(Optional.empty(), manager.result(ProbeType.READINESS, "c1"));
    }

    @Test
    void aFailedLivenessProbeNamesTheKillReason() throws Exception {
        Pod pod = ProbePods.pod("Always", """
                livenessProbe:
                  exec: {command: [cat, /tmp/alive]}
                  periodSeconds: 1
                  failureThreshold: 2
                """);
        passes.set(false);
        status.set(ProbePods.running("c1", Instant.now().minusSeconds(5), true));
        manager.addPod(pod);
        await(() -> manager.failure("c1").isPresent(), "liveness failure");
        assertEquals(new ProbeManager.ProbeFailure(ProbeType.LIVENESS, "Liveness probe failed: boom"),
                manager.failure("c1").get());
        int probes = probed.size();
        Thread.sleep(2500);
        assertEquals(probes, probed.size(), "on hold until a new container appears");
        manager.stopLivenessAndStartup(pod);
        assertEquals(0, manager.workerCount());
    }

    @Test
    void aStartupProbeHoldsStartedAndLiveness() throws Exception {
        Pod pod = ProbePods.pod("Always", """
                startupProbe:
                  exec: {command: [cat, /tmp/started]}
                  periodSeconds: 1
                livenessProbe:
                  exec: {command: [cat, /tmp/alive]}
                  periodSeconds: 1
                """);
        passes.set(false);
        status.set(ProbePods.running("c1", Instant.now().minusSeconds(5), false));
        manager.addPod(pod);
        await(() -> probed.size() >= 2, "two startup probes");
        assertTrue(probed.stream().allMatch(t -> t == ProbeType.STARTUP), probed.toString());
        assertEquals(Map.of("app", false), manager.states(pod, name -> Optional.of("c1")).started());
        passes.set(true);
        await(() -> manager.result(ProbeType.STARTUP, "c1").equals(Optional.of(ProbeResult.SUCCESS)), "started");
        assertEquals(Map.of("app", true), manager.states(pod, name -> Optional.of("c1")).started());
        status.set(ProbePods.running("c1", Instant.now().minusSeconds(5), true)); // the status now says started
        await(() -> probed.contains(ProbeType.LIVENESS), "liveness after the start");
    }

    @Test
    void cleanupStopsWorkersOfPodsNoLongerWanted() {
        Pod pod = ProbePods.pod("Always", """
                readinessProbe:
                  tcpSocket: {port: 8080}
                livenessProbe:
                  tcpSocket: {port: 8080}
                """);
        manager.addPod(pod);
        assertEquals(2, manager.workerCount());
        manager.cleanupPods(java.util.Set.of(pod.getMetadata().getUid()));
        assertEquals(2, manager.workerCount());
        manager.cleanupPods(java.util.Set.of());
        assertEquals(0, manager.workerCount());
    }
}
