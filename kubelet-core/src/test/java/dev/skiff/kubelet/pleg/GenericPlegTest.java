package dev.skiff.kubelet.pleg;

import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.kubelet.metrics.KubeletMetrics;
import dev.skiff.kubelet.metrics.MetricsExposition;
import dev.skiff.kubelet.worker.FakeClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.skiff.kubelet.pleg.PodLifecycleEventType.*;
import static org.junit.jupiter.api.Assertions.*;

class GenericPlegTest {
    private final FakeRuntime rt = new FakeRuntime();
    private final FakeClock clock = new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));
    private GenericPleg pleg;

    @BeforeEach
    void setUp() {
        pleg = new GenericPleg(rt.service(), Duration.ofSeconds(1), 1000, Duration.ofMinutes(3), clock);
    }

    private List<PodLifecycleEvent> relist() {
        clock.advance(Duration.ofSeconds(1));
        assertTrue(pleg.relist(), "relist succeeds");
        List<PodLifecycleEvent> out = new ArrayList<>();
        pleg.events().drainTo(out);
        return out;
    }

    private static PodLifecycleEvent ev(String uid, PodLifecycleEventType type, String id) {
        return new PodLifecycleEvent(uid, type, id);
    }

    @Test
    void everyRelistIsTimedAndTheIntervalRunsFromTheLastSuccessfulOne() throws Exception {
        KubeletMetrics metrics = new KubeletMetrics();
        GenericPleg timed = new GenericPleg(rt.service(), Duration.ofSeconds(1), 1000, Duration.ofMinutes(3), clock,
                metrics);
        assertTrue(timed.relist());
        assertTrue(timed.relist());
        rt.down = true;
        assertFalse(timed.relist());
        var out = new java.io.ByteArrayOutputStream();
        MetricsExposition.write(metrics.registry(), null, out);
        String t = out.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(t.contains("\nkubelet_pleg_relist_duration_seconds_count 3\n"), "failed relists are timed too\n" + t);
        assertTrue(t.contains("\nkubelet_pleg_relist_interval_seconds_count 2\n"), "none before the first\n" + t);
    }

    @Test
    void containerLifecycleStartDieRemove() {
        rt.sandbox("sb1", "uid1", "web", "default", PodSandboxState.SANDBOX_READY);
        rt.container("c1", "sb1", "nginx", ContainerState.CONTAINER_CREATED);
        // created counts as unknown: its ContainerChanged never reaches the queue (upstream)
        assertEquals(List.of(ev("uid1", CONTAINER_STARTED, "sb1")), relist());

        rt.setState("c1", ContainerState.CONTAINER_RUNNING);
        assertEquals(List.of(ev("uid1", CONTAINER_STARTED, "c1")), relist());
        assertEquals(List.of(), relist(), "nothing changed, nothing emitted");

        rt.setState("c1", ContainerState.CONTAINER_EXITED);
        assertEquals(List.of(ev("uid1", CONTAINER_DIED, "c1")), relist());

        rt.remove("c1");
        assertEquals(List.of(ev("uid1", CONTAINER_REMOVED, "c1")), relist(), "already reported dead: only removed");
        assertEquals(0, rt.otherCalls.get(), "only the two list calls are made");
    }

    @Test
    void runningContainerThatVanishesDiesAndIsRemoved() {
        rt.sandbox("sb1", "uid1", "web", "default", PodSandboxState.SANDBOX_READY);
        rt.container("c1", "sb1", "nginx", ContainerState.CONTAINER_RUNNING);
        assertEquals(List.of(ev("uid1", CONTAINER_STARTED, "sb1"), ev("uid1", CONTAINER_STARTED, "c1")), relist());
        rt.remove("c1");
        assertEquals(List.of(ev("uid1", CONTAINER_DIED, "c1"), ev("uid1", CONTAINER_REMOVED, "c1")), relist());
    }

    @Test
    void sandboxesAreReportedLikeContainers() {
        rt.sandbox("sb1", "uid1", "web", "default", PodSandboxState.SANDBOX_READY);
        assertEquals(List.of(ev("uid1", CONTAINER_STARTED, "sb1")), relist());
        rt.setSandboxState("sb1", PodSandboxState.SANDBOX_NOTREADY);
        assertEquals(List.of(ev("uid1", CONTAINER_DIED, "sb1")), relist());
        rt.remove("sb1");
        assertEquals(List.of(ev("uid1", CONTAINER_REMOVED, "sb1")), relist());
        assertTrue(pleg.pods().isEmpty(), "a pod with nothing left is gone from the cache");
    }

    @Test
    void generateFollowsUpstreamTransitions() {
        List<PodLifecycleEvent> out = new ArrayList<>();
        GenericPleg.generate("u", "c", GenericPleg.PlegState.RUNNING, GenericPleg.PlegState.UNKNOWN, out);
        assertEquals(List.of(ev("u", CONTAINER_CHANGED, "c")), out);
        out.clear();
        GenericPleg.generate("u", "c", GenericPleg.PlegState.UNKNOWN, GenericPleg.PlegState.NON_EXISTENT, out);
        assertEquals(List.of(ev("u", CONTAINER_DIED, "c"), ev("u", CONTAINER_REMOVED, "c")), out);
        out.clear();
        GenericPleg.generate("u", "c", GenericPleg.PlegState.EXITED, GenericPleg.PlegState.EXITED, out);
        assertEquals(List.of(), out);
    }

    @Test
    void cacheGroupsByPodUidNewestFirst() {
        rt.sandbox("sb-old", "uid1", "web", "ns1", PodSandboxState.SANDBOX_NOTREADY);
        rt.sandbox("sb-new", "uid1", "web", "ns1", PodSandboxState.SANDBOX_READY);
        rt.container("c-old", "sb-old", "app", ContainerState.CONTAINER_EXITED);
        rt.container("c-new", "sb-new", "app", ContainerState.CONTAINER_RUNNING);
        rt.container("side", "sb-new", "sidecar", ContainerState.CONTAINER_RUNNING);
        rt.sandbox("sb2", "uid2", "db", "ns2", PodSandboxState.SANDBOX_READY);
        // a container whose sandbox is gone is still placed by its pod uid label
        rt.container("orphan", "sb-gone", "x", ContainerState.CONTAINER_EXITED,
                Map.of(GenericPleg.LABEL_POD_UID, "uid3", GenericPleg.LABEL_POD_NAME, "lost", GenericPleg.LABEL_POD_NAMESPACE, "ns3"));
        // a container nobody claims is ignored
        rt.container("stray", "sb-none", "y", ContainerState.CONTAINER_RUNNING);
        relist();

        assertEquals(3, pleg.pods().size());
        RuntimePod p1 = pleg.pod("uid1").orElseThrow();
        assertEquals("ns1/web", p1.fullName());
        assertEquals(List.of("sb-new", "sb-old"), p1.sandboxes().stream().map(s -> s.getId()).toList());
        assertEquals(List.of("side", "c-new", "c-old"), p1.containers().stream().map(c -> c.getId()).toList());
        assertEquals("c-new", p1.latestContainer("app").orElseThrow().getId());
        assertEquals(ContainerState.CONTAINER_RUNNING, p1.container("side").orElseThrow().getState());
        assertTrue(p1.anythingRunning());
        assertEquals("ns3/lost", pleg.pod("uid3").orElseThrow().fullName());
        assertTrue(pleg.pod("uid-none").isEmpty());
        assertThrows(UnsupportedOperationException.class, () -> pleg.pods().clear(), "the snapshot is read-only");
        assertEquals(1, pleg.snapshot().generation());
    }

    @Test
    void runtimeErrorKeepsStateAndEmitsNothing() {
        rt.sandbox("sb1", "uid1", "web", "default", PodSandboxState.SANDBOX_READY);
        rt.container("c1", "sb1", "app", ContainerState.CONTAINER_RUNNING);
        relist();
        PlegSnapshot before = pleg.snapshot();

        rt.down = true;
        rt.setState("c1", ContainerState.CONTAINER_EXITED);
        assertFalse(pleg.relist());
        assertFalse(pleg.relist());
        assertTrue(pleg.events().isEmpty(), "no spurious events while the runtime is down");
        assertSame(before, pleg.snapshot(), "the cache keeps the last good state");
        assertEquals(2, pleg.stats().failures());

        rt.down = false;
        assertEquals(List.of(ev("uid1", CONTAINER_DIED, "c1")), relist(), "diffed against the last good state");
    }

    @Test
    void fullQueueDropsAndCounts() {
        pleg = new GenericPleg(rt.service(), Duration.ofSeconds(1), 2, Duration.ofMinutes(3), clock);
        rt.sandbox("sb1", "uid1", "a", "default", PodSandboxState.SANDBOX_READY);
        rt.sandbox("sb2", "uid2", "b", "default", PodSandboxState.SANDBOX_READY);
        rt.sandbox("sb3", "uid3", "c", "default", PodSandboxState.SANDBOX_READY);
        rt.container("c1", "sb1", "x", ContainerState.CONTAINER_RUNNING);
        rt.container("c2", "sb2", "x", ContainerState.CONTAINER_RUNNING);
        assertTrue(pleg.relist());
        assertEquals(2, pleg.events().size());
        assertEquals(3, pleg.stats().discardedEvents());
        assertEquals(3, pleg.pods().size(), "the cache is complete even when events were dropped");
    }

    @Test
    void healthFollowsTheLastSuccessfulRelist() {
        assertFalse(pleg.healthy(), "not healthy before the first relist");
        assertTrue(pleg.relist());
        assertTrue(pleg.healthy());
        rt.down = true;
        clock.advance(Duration.ofMinutes(2));
        assertFalse(pleg.relist());
        assertTrue(pleg.healthy(), "2 minutes without a relist is still within the threshold");
        clock.advance(Duration.ofMinutes(1).plusSeconds(1));
        assertFalse(pleg.healthy(), "over 3 minutes without a successful relist");
        rt.down = false;
        assertTrue(pleg.relist());
        assertTrue(pleg.healthy());
        RelistStats stats = pleg.stats();
        assertEquals(2, stats.relists());
        assertEquals(2, stats.bucketCounts().stream().mapToLong(Long::longValue).sum());
        assertEquals(stats.bucketBounds().size() + 1, stats.bucketCounts().size());
    }

    @Test
    void relistOf110PodsMakesOnlyTheTwoListCalls() {
        for (int i = 0; i < 110; i++) {
            rt.sandbox("sb" + i, "uid" + i, "pod" + i, "default", PodSandboxState.SANDBOX_READY);
            rt.container("a" + i, "sb" + i, "app", ContainerState.CONTAINER_RUNNING);
            rt.container("b" + i, "sb" + i, "side", ContainerState.CONTAINER_RUNNING);
            rt.container("c" + i, "sb" + i, "old", ContainerState.CONTAINER_EXITED);
        }
        assertEquals(440, relist().size());
        for (int i = 0; i < 200; i++) {
            assertTrue(pleg.relist());
        }
        assertEquals(0, pleg.events().size(), "steady state emits nothing");
        assertEquals(110, pleg.pods().size());
        // what keeps a relist cheap as pods grow: no call per pod or container (its time is for make bench, not a test)
        assertEquals(0, rt.otherCalls.get(), "only the two list calls are made");
    }

    @Test
    void runsOnItsOwnThreadAndStops() throws Exception {
        pleg = new GenericPleg(rt.service(), Duration.ofMillis(20), 1000, Duration.ofMinutes(3), java.time.Clock.systemUTC());
        Instant t0 = Instant.now();
        pleg.start();
        try {
            rt.sandbox("sb1", "uid1", "web", "default", PodSandboxState.SANDBOX_READY);
            PodLifecycleEvent e = pleg.events().poll(5, TimeUnit.SECONDS);
            assertEquals(ev("uid1", CONTAINER_STARTED, "sb1"), e);
            assertTrue(pleg.awaitSnapshotAfter(t0, Duration.ofSeconds(5)).time().isAfter(t0));
            assertTrue(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("pleg")));
            assertTrue(pleg.healthy());
        } finally {
            pleg.close(Duration.ofSeconds(5));
        }
        Thread.sleep(100);
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().equals("pleg") && t.isAlive()),
                "the pleg thread is gone after close");
        long relists = pleg.stats().relists();
        Thread.sleep(100);
        assertEquals(relists, pleg.stats().relists(), "no relist after close");
    }
}
