package dev.skiff.kubelet.prober;

import dev.skiff.kubelet.metrics.MetricsExposition;
import dev.skiff.kubelet.metrics.ProberMetrics;
import dev.skiff.kubelet.prober.results.ProbeResult;
import dev.skiff.kubelet.prober.results.ResultUpdate;
import dev.skiff.kubelet.prober.results.ResultsManager;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProbeWorkerTest {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    private final ResultsManager results = new ResultsManager();
    private final List<ResultUpdate> updates = new ArrayList<>();

    ProbeWorkerTest() {
        results.onUpdate(updates::add);
    }

    private ProbeWorker worker(Pod pod, ProbeType type) {
        return new ProbeWorker(pod, pod.getSpec().getContainers().get(0), type, results);
    }

    /** One tick that must probe, and its verdict. */
    private Optional<ProbeResult> probe(ProbeWorker w, Instant now, io.fabric8.kubernetes.api.model.PodStatus s,
                                        boolean passed) {
        ProbeWorker.Step step = w.decide(now, s);
        ProbeWorker.Run run = assertInstanceOf(ProbeWorker.Run.class, step);
        return w.record(run.containerId(), passed, passed ? "ok" : "HTTP probe failed with statuscode: 500", 0);
    }

    private static String text(ProberMetrics metrics) throws Exception {
        var out = new java.io.ByteArrayOutputStream();
        MetricsExposition.write(metrics.registry(), null, out);
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void everyProbeIsCountedAndTheSeriesGoWithTheWorker() throws Exception {
        Pod pod = ProbePods.pod("Always", """
                readinessProbe:
                  httpGet: {port: http}
                  successThreshold: 2
                """);
        ProberMetrics metrics = new ProberMetrics();
        ProbeWorker w = new ProbeWorker(pod, pod.getSpec().getContainers().get(0), ProbeType.READINESS, results, metrics);
        var s = ProbePods.running("c1", T0, true);
        ProbeWorker.Run run = assertInstanceOf(ProbeWorker.Run.class, w.decide(T0.plusSeconds(1), s));
        w.record(run.containerId(), true, "ok", 2_000_000); // below the success threshold: counted all the same
        run = assertInstanceOf(ProbeWorker.Run.class, w.decide(T0.plusSeconds(2), s));
        w.record(run.containerId(), false, "HTTP probe failed with statuscode: 500", 1);
        String labels = "container=\"" + pod.getSpec().getContainers().get(0).getName() + "\",namespace=\""
                + pod.getMetadata().getNamespace() + "\",pod=\"" + pod.getMetadata().getName() + "\",pod_uid=\""
                + pod.getMetadata().getUid() + "\",probe_type=\"Readiness\"";
        String t = text(metrics);
        assertTrue(t.contains("prober_probe_total{" + labels + ",result=\"successful\"} 1.0\n"), t);
        assertTrue(t.contains("prober_probe_total{" + labels + ",result=\"failed\"} 1.0\n"), t);

        run = assertInstanceOf(ProbeWorker.Run.class, w.decide(T0.plusSeconds(3), s));
        w.stop();
        w.record(run.containerId(), true, "ok", 1); // a probe in flight when the worker stopped
        t = text(metrics);
        assertFalse(t.contains("pod_uid=\"" + pod.getMetadata().getUid() + "\""), t);
        assertFalse(t.contains("prober_probe_duration_seconds_count{"), t);
    }

    @Test
    void readinessStartsAsFailureAndTurnsSuccessAfterSuccessThreshold() {
        Pod pod = ProbePods.pod("Always", """
                readinessProbe:
                  httpGet: {port: http}
                  successThreshold: 2
                  failureThreshold: 2
                """);
        ProbeWorker w = worker(pod, ProbeType.READINESS);
        var s = ProbePods.running("c1", T0, true);
        assertEquals(Optional.empty(), probe(w, T0.plusSeconds(1), s, true));
        assertEquals(Optional.of(ProbeResult.FAILURE), results.get("c1"), "initial readiness is Failure");
        assertEquals(Optional.of(ProbeResult.SUCCESS), probe(w, T0.plusSeconds(2), s, true));
        assertEquals(Optional.of(ProbeResult.SUCCESS), results.get("c1"));
        assertEquals(Optional.empty(), probe(w, T0.plusSeconds(3), s, false), "one failure is below the threshold");
        assertEquals(Optional.of(ProbeResult.FAILURE), probe(w, T0.plusSeconds(4), s, false));
        assertEquals(List.of(ProbeResult.FAILURE, ProbeResult.SUCCESS, ProbeResult.FAILURE),
                updates.stream().map(ResultUpdate::result).toList());
        assertEquals("HTTP probe failed with statuscode: 500", results.output("c1"));
        // readiness keeps probing after a failure
        assertEquals(Optional.empty(), probe(w, T0.plusSeconds(5), s, true));
    }

    @Test
    void aReadinessFailureThatGoesOnIsMarkedRepeatedSoItIsLoggedOnce() {
        Pod pod = ProbePods.pod("Always", """
                readinessProbe:
                  httpGet: {port: http}
                  failureThreshold: 2
                """);
        ProbeWorker w = worker(pod, ProbeType.READINESS);
        var s = ProbePods.running("c1", T0, true);
        probe(w, T0.plusSeconds(1), s, false);
        assertEquals(Optional.of(ProbeResult.FAILURE), probe(w, T0.plusSeconds(2), s, false));
        assertFalse(w.lastResultRepeated(), "the threshold reached: the first report");
        assertEquals(Optional.of(ProbeResult.FAILURE), probe(w, T0.plusSeconds(3), s, false));
        assertTrue(w.lastResultRepeated(), "still failing");
        assertEquals(Optional.of(ProbeResult.SUCCESS), probe(w, T0.plusSeconds(4), s, true));
        assertFalse(w.lastResultRepeated());
        assertEquals(Optional.of(ProbeResult.SUCCESS), probe(w, T0.plusSeconds(5), s, true));
        assertTrue(w.lastResultRepeated());
    }

    @Test
    void livenessStartsAsSuccessFailsAtThresholdAndHoldsUntilANewContainer() {
        Pod pod = ProbePods.pod("Always", """
                livenessProbe:
                  exec: {command: [sh, -c, exit 1]}
                  failureThreshold: 3
                """);
        ProbeWorker w = worker(pod, ProbeType.LIVENESS);
        var s = ProbePods.running("c1", T0, true);
        probe(w, T0.plusSeconds(1), s, false);
        assertEquals(Optional.of(ProbeResult.SUCCESS), results.get("c1"), "initial liveness is Success");
        probe(w, T0.plusSeconds(2), s, false);
        assertEquals(Optional.of(ProbeResult.FAILURE), probe(w, T0.plusSeconds(3), s, false));
        // on hold: no probe of the doomed instance, the failure sticks
        assertInstanceOf(ProbeWorker.Wait.class, w.decide(T0.plusSeconds(4), s));
        assertEquals(Optional.of(ProbeResult.FAILURE), results.get("c1"));
        // the restarted instance is probed afresh, starting from Success
        var s2 = ProbePods.running("c2", T0.plusSeconds(5), true);
        assertEquals(Optional.empty(), probe(w, T0.plusSeconds(6), s2, false));
        assertEquals(Optional.empty(), results.get("c1"), "the old instance's result is forgotten");
        assertEquals(Optional.of(ProbeResult.SUCCESS), results.get("c2"));
    }

    @Test
    void initialDelayCountsFromTheContainerStart() {
        Pod pod = ProbePods.pod("Always", """
                livenessProbe:
                  tcpSocket: {port: 8080}
                  initialDelaySeconds: 10
                """);
        ProbeWorker w = worker(pod, ProbeType.LIVENESS);
        var s = ProbePods.running("c1", T0, true);
        assertInstanceOf(ProbeWorker.Wait.class, w.decide(T0.plusMillis(9_900), s));
        assertInstanceOf(ProbeWorker.Run.class, w.decide(T0.plusSeconds(10), s));
    }

    @Test
    void startupProbeRunsUntilStartedAndHoldsTheOthers() {
        Pod pod = ProbePods.pod("Always", """
                startupProbe:
                  exec: {command: [cat, /tmp/started]}
                livenessProbe:
                  exec: {command: [cat, /tmp/alive]}
                """);
        ProbeWorker startup = worker(pod, ProbeType.STARTUP);
        ProbeWorker liveness = worker(pod, ProbeType.LIVENESS);
        var notStarted = ProbePods.running("c1", T0, false);
        assertInstanceOf(ProbeWorker.Wait.class, liveness.decide(T0.plusSeconds(1), notStarted),
                "liveness waits for the start");
        assertInstanceOf(ProbeWorker.Run.class, startup.decide(T0.plusSeconds(1), notStarted));
        startup.record("c1", true, "", 0);
        assertEquals(Optional.of(ProbeResult.SUCCESS), results.get("c1"));
        var started = ProbePods.running("c1", T0, true);
        assertInstanceOf(ProbeWorker.Wait.class, startup.decide(T0.plusSeconds(2), started),
                "a started container needs no startup probe");
        assertInstanceOf(ProbeWorker.Run.class, liveness.decide(T0.plusSeconds(2), started));
    }

    @Test
    void startupResultStartsUnknown() {
        Pod pod = ProbePods.pod("Always", """
                startupProbe:
                  exec: {command: [cat, /tmp/started]}
                """);
        ProbeWorker w = worker(pod, ProbeType.STARTUP);
        w.decide(T0, ProbePods.running("c1", T0, false));
        assertEquals(Optional.of(ProbeResult.UNKNOWN), results.get("c1"));
    }

    @Test
    void aProbeInFlightDropsTheNextTick() {
        Pod pod = ProbePods.pod("Always", """
                readinessProbe:
                  tcpSocket: {port: 8080}
                """);
        ProbeWorker w = worker(pod, ProbeType.READINESS);
        var s = ProbePods.running("c1", T0, true);
        assertInstanceOf(ProbeWorker.Run.class, w.decide(T0, s));
        assertInstanceOf(ProbeWorker.Wait.class, w.decide(T0.plusSeconds(10), s));
        w.errored("boom"); // an errored probe's result is thrown away
        assertEquals(Optional.of(ProbeResult.FAILURE), results.get("c1"));
        assertInstanceOf(ProbeWorker.Run.class, w.decide(T0.plusSeconds(20), s));
    }

    @Test
    void aVerdictForAReplacedContainerIsIgnored() {
        Pod pod = ProbePods.pod("Always", """
                readinessProbe:
                  tcpSocket: {port: 8080}
                """);
        ProbeWorker w = worker(pod, ProbeType.READINESS);
        assertInstanceOf(ProbeWorker.Run.class, w.decide(T0, ProbePods.running("c1", T0, true)));
        w.decide(T0.plusSeconds(1), ProbePods.running("c2", T0, true));
        assertEquals(Optional.empty(), w.record("c1", true, "", 0));
        assertEquals(Optional.empty(), results.get("c1"));
        assertEquals(Optional.of(ProbeResult.FAILURE), results.get("c2"));
    }

    @Test
    void aNonRunningContainerIsNotReadyAndTheWorkerStopsWhenItWillNotRestart() {
        Pod never = ProbePods.pod("Never", """
                readinessProbe:
                  tcpSocket: {port: 8080}
                """);
        ProbeWorker w = worker(never, ProbeType.READINESS);
        assertInstanceOf(ProbeWorker.Stop.class, w.decide(T0, ProbePods.exited("c1", "Running")));
        assertEquals(Optional.of(ProbeResult.FAILURE), results.get("c1"));

        Pod always = ProbePods.pod("Always", """
                readinessProbe:
                  tcpSocket: {port: 8080}
                """);
        ProbeWorker w2 = worker(always, ProbeType.READINESS);
        assertInstanceOf(ProbeWorker.Wait.class, w2.decide(T0, ProbePods.exited("c9", "Running")));
        assertInstanceOf(ProbeWorker.Stop.class, w2.decide(T0, ProbePods.exited("c9", "Failed")),
                "a terminated pod is probed no more");
    }

    @Test
    void anExitedSidecarOfANeverPodIsProbedOnBecauseItRestarts() {
        Pod pod = new io.fabric8.kubernetes.api.model.PodBuilder(ProbePods.pod("Never", "")).editSpec()
                .addNewInitContainer().withName("proxy").withImage("busybox").withRestartPolicy("Always")
                .withNewReadinessProbe().withNewTcpSocket().withNewPort(8080).endTcpSocket().endReadinessProbe()
                .endInitContainer().endSpec().build();
        ProbeWorker w = new ProbeWorker(pod, pod.getSpec().getInitContainers().get(0), ProbeType.READINESS, results);
        var exited = new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase("Running")
                .withInitContainerStatuses(new io.fabric8.kubernetes.api.model.ContainerStatusBuilder().withName("proxy")
                        .withContainerID("docker://s1").withStarted(false).withNewState().withNewTerminated()
                        .withExitCode(1).endTerminated().endState().build()).build();
        assertInstanceOf(ProbeWorker.Wait.class, w.decide(T0, exited));
        assertEquals(Optional.of(ProbeResult.FAILURE), results.get("s1"));
    }

    @Test
    void noStatusOrNoContainerYetWaits() {
        Pod pod = ProbePods.pod("Always", """
                readinessProbe:
                  tcpSocket: {port: 8080}
                """);
        ProbeWorker w = worker(pod, ProbeType.READINESS);
        assertInstanceOf(ProbeWorker.Wait.class, w.decide(T0, null));
        assertInstanceOf(ProbeWorker.Wait.class, w.decide(T0, ProbePods.status("Pending",
                new io.fabric8.kubernetes.api.model.ContainerStatusBuilder().withName("app").build())));
        assertTrue(results.size() == 0);
    }

    @Test
    void stopForgetsTheResult() {
        Pod pod = ProbePods.pod("Always", """
                readinessProbe:
                  tcpSocket: {port: 8080}
                """);
        ProbeWorker w = worker(pod, ProbeType.READINESS);
        w.decide(T0, ProbePods.running("c1", T0, true));
        w.stop();
        assertEquals(0, results.size());
        assertInstanceOf(ProbeWorker.Stop.class, w.decide(T0, ProbePods.running("c1", T0, true)));
    }
}
