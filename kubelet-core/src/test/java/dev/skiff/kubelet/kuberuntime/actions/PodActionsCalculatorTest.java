package dev.skiff.kubelet.kuberuntime.actions;

import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.ContainerMetadata;
import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.ContainerStatus;
import dev.skiff.cri.v1.LinuxPodSandboxStatus;
import dev.skiff.cri.v1.Namespace;
import dev.skiff.cri.v1.NamespaceMode;
import dev.skiff.cri.v1.NamespaceOption;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.PodSandboxMetadata;
import dev.skiff.cri.v1.PodSandboxNetworkStatus;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.cri.v1.PodSandboxStatus;
import dev.skiff.kubelet.kuberuntime.KubeAnnotations;
import dev.skiff.kubelet.kuberuntime.actions.PodActions.ContainerToKill;
import dev.skiff.kubelet.kuberuntime.actions.PodActions.ContainerToStart;
import dev.skiff.kubelet.pleg.RuntimePod;
import dev.skiff.kubelet.pod.ContainerSpecHash;
import dev.skiff.kubelet.pod.StaticPodLoader;
import dev.skiff.kubelet.prober.ProbeType;
import dev.skiff.kubelet.prober.results.ProbeResult;
import dev.skiff.kubelet.worker.CrashLoopBackOff;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

class PodActionsCalculatorTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private final CrashLoopBackOff backoff = new CrashLoopBackOff(CrashLoopBackOff.INITIAL, CrashLoopBackOff.MAX,
            Clock.fixed(T0, ZoneOffset.UTC));

    // ---- building blocks: pods from YAML, runtime state as CRI messages ----

    private static Pod pod(String restartPolicy, boolean hostNetwork, String... containers) throws Exception {
        StringBuilder y = new StringBuilder("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: web
                spec:
                """);
        y.append("  restartPolicy: ").append(restartPolicy).append('\n');
        if (hostNetwork) {
            y.append("  hostNetwork: true\n");
        }
        y.append("  containers:\n");
        for (String c : containers) {
            y.append("  - name: ").append(c).append("\n    image: busybox:1\n    command: [sleep, '3600']\n");
        }
        return load(y.toString());
    }

    private static Pod load(String yaml) throws Exception {
        return new StaticPodLoader("node1", Clock.fixed(T0, ZoneOffset.UTC))
                .load(Path.of("/etc/kubernetes/manifests/web.yaml"), yaml.getBytes(StandardCharsets.UTF_8)).pod().orElseThrow();
    }

    /** Runtime state of one pod, newest first as the PLEG sorts it (add oldest first). */
    private final class Runtime {
        final Pod pod;
        final List<PodSandbox> sandboxes = new ArrayList<>();
        final List<Container> containers = new ArrayList<>();
        final Map<String, ContainerStatus> statuses = new HashMap<>();
        final Map<String, PodSandboxStatus> sandboxStatuses = new HashMap<>();
        int seq;

        Runtime(Pod pod) {
            this.pod = pod;
        }

        String sandbox(int attempt, PodSandboxState state) {
            String id = "sb" + (++seq);
            sandboxes.add(0, PodSandbox.newBuilder().setId(id).setState(state).setCreatedAt(nanos(T0.plusSeconds(seq)))
                    .setMetadata(PodSandboxMetadata.newBuilder().setName(pod.getMetadata().getName())
                            .setNamespace(pod.getMetadata().getNamespace()).setUid(pod.getMetadata().getUid()).setAttempt(attempt))
                    .build());
            return id;
        }

        /** A container as the kubelet would have created it from the pod's spec container {@code name}. */
        String container(String name, ContainerState state, int restartCount) {
            var spec = pod.getSpec().getContainers().stream().filter(c -> c.getName().equals(name)).findFirst()
                    .orElseGet(() -> pod.getSpec().getInitContainers().stream().filter(c -> c.getName().equals(name)).findFirst()
                            .orElseThrow());
            return raw(name, state, KubeAnnotations.containerAnnotations(spec, pod, restartCount));
        }

        String raw(String name, ContainerState state, Map<String, String> annotations) {
            String id = "c" + (++seq);
            containers.add(0, Container.newBuilder().setId(id).setPodSandboxId(sandboxes.isEmpty() ? "" : sandboxes.get(0).getId())
                    .setMetadata(ContainerMetadata.newBuilder().setName(name)).setState(state)
                    .setCreatedAt(nanos(T0.plusSeconds(seq)))
                    .putAllLabels(Map.of(KubeAnnotations.CONTAINER_NAME, name, KubeAnnotations.POD_UID, pod.getMetadata().getUid()))
                    .putAllAnnotations(annotations).build());
            return id;
        }

        void exited(String id, int exitCode, Instant finishedAt) {
            statuses.put(id, ContainerStatus.newBuilder().setId(id).setState(ContainerState.CONTAINER_EXITED)
                    .setExitCode(exitCode).setFinishedAt(nanos(finishedAt)).build());
        }

        /** The id of the newest instance of container {@code name}. */
        String id(String name) {
            return snapshot().latestContainer(name).orElseThrow().getId();
        }

        /** The running container {@code id} exits with {@code exitCode} at {@code finishedAt}. */
        void exit(String id, int exitCode, Instant finishedAt) {
            Container c = snapshot().container(id).orElseThrow();
            containers.set(containers.indexOf(c), c.toBuilder().setState(ContainerState.CONTAINER_EXITED).build());
            exited(id, exitCode, finishedAt);
        }

        PodActions compute(Instant now, ProbeResults probes) {
            return PodActionsCalculator.compute(pod, snapshot(), sandboxStatuses, statuses, backoff, now, probes);
        }

        void network(String sandboxId, NamespaceMode mode, String ip) {
            sandboxStatuses.put(sandboxId, PodSandboxStatus.newBuilder().setId(sandboxId)
                    .setNetwork(PodSandboxNetworkStatus.newBuilder().setIp(ip))
                    .setLinux(LinuxPodSandboxStatus.newBuilder().setNamespaces(Namespace.newBuilder()
                            .setOptions(NamespaceOption.newBuilder().setNetwork(mode)))).build());
        }

        RuntimePod snapshot() {
            return new RuntimePod(pod.getMetadata().getUid(), pod.getMetadata().getName(), pod.getMetadata().getNamespace(),
                    sandboxes, containers);
        }

        PodActions compute(Instant now) {
            return PodActionsCalculator.compute(pod, snapshot(), sandboxStatuses, statuses, backoff, now);
        }
    }

    private static long nanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    // ---- sandbox ----

    @Test
    void freshPodCreatesSandboxAndStartsAll() throws Exception {
        Pod pod = pod("Always", false, "app", "sidecar");
        PodActions a = PodActionsCalculator.compute(pod, null, Map.of(), backoff, T0);
        assertTrue(a.createSandbox());
        assertTrue(a.killPod(), "upstream kills whatever is left before a new sandbox");
        assertEquals(0, a.attempt());
        assertEquals("", a.sandboxId());
        assertEquals("no sandbox", a.sandboxReason());
        assertEquals(List.of("app", "sidecar"), a.namesToStart());
        assertEquals(List.of(0, 1), a.containersToStart().stream().map(ContainerToStart::index).toList());
        assertTrue(a.containersToStart().stream().allMatch(c -> c.restartCount() == 0 && !c.restart()));

        PodActions empty = new Runtime(pod).compute(T0);
        assertEquals(a.namesToStart(), empty.namesToStart(), "an empty RuntimePod is the same as none");
    }

    @Test
    void steadyPodIsNoop() throws Exception {
        Runtime rt = new Runtime(pod("Always", false, "app"));
        String sb = rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        rt.container("app", ContainerState.CONTAINER_RUNNING, 0);
        rt.network(sb, NamespaceMode.POD, "172.17.0.5");
        PodActions a = rt.compute(T0);
        assertTrue(a.isNoop(), a.toString());
        assertEquals(sb, a.sandboxId());
        assertEquals(0, a.attempt());
    }

    @Test
    void deadSandboxIsRecreatedAndEverythingStarts() throws Exception {
        Runtime rt = new Runtime(pod("Always", false, "app", "sidecar"));
        String sb = rt.sandbox(2, PodSandboxState.SANDBOX_NOTREADY);
        String app = rt.container("app", ContainerState.CONTAINER_RUNNING, 3);
        rt.container("sidecar", ContainerState.CONTAINER_EXITED, 0);
        PodActions a = rt.compute(T0.plusSeconds(100));
        assertTrue(a.createSandbox());
        assertTrue(a.killPod());
        assertEquals(3, a.attempt());
        assertEquals(sb, a.sandboxId());
        assertEquals("sandbox not ready", a.sandboxReason());
        assertEquals(List.of("app", "sidecar"), a.namesToStart());
        assertEquals(4, a.containersToStart().get(0).restartCount(), "previous restartCount 3 + 1");
        assertEquals(1, a.containersToStart().get(1).restartCount());
        assertFalse(a.containersToKill().containsKey(app), "the pod kill covers it");
    }

    @Test
    void twoReadySandboxesKillAllAndRecreate() throws Exception {
        Runtime rt = new Runtime(pod("Always", false, "app"));
        rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        String newest = rt.sandbox(1, PodSandboxState.SANDBOX_READY);
        rt.container("app", ContainerState.CONTAINER_RUNNING, 0);
        PodActions a = rt.compute(T0);
        assertTrue(a.createSandbox());
        assertTrue(a.killPod());
        assertEquals(2, a.attempt());
        assertEquals(newest, a.sandboxId());
        assertEquals("more than one ready sandbox", a.sandboxReason());
        assertEquals(List.of("app"), a.namesToStart());
    }

    @Test
    void hostNetworkFlipRecreatesSandbox() throws Exception {
        Runtime rt = new Runtime(pod("Always", true, "app"));
        String sb = rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        rt.network(sb, NamespaceMode.POD, "172.17.0.5"); // created before the flip: pod network
        rt.container("app", ContainerState.CONTAINER_RUNNING, 0);
        PodActions a = rt.compute(T0);
        assertTrue(a.createSandbox());
        assertTrue(a.killPod());
        assertEquals(1, a.attempt());
        assertEquals("", a.sandboxId(), "upstream: a namespace change does not reuse the sandbox id");
        assertEquals("sandbox network namespace changed", a.sandboxReason());

        rt.network(sb, NamespaceMode.NODE, "");
        assertTrue(rt.compute(T0).isNoop(), "host network matching: nothing to do");

        Runtime back = new Runtime(pod("Always", false, "app"));
        String sb2 = back.sandbox(4, PodSandboxState.SANDBOX_READY);
        back.network(sb2, NamespaceMode.NODE, "");
        back.container("app", ContainerState.CONTAINER_RUNNING, 0);
        PodActions b = back.compute(T0);
        assertTrue(b.createSandbox());
        assertEquals(5, b.attempt());
    }

    @Test
    void sandboxWithoutIpIsRecreated() throws Exception {
        Runtime rt = new Runtime(pod("Always", false, "app"));
        String sb = rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        rt.network(sb, NamespaceMode.POD, "");
        rt.container("app", ContainerState.CONTAINER_RUNNING, 0);
        PodActions a = rt.compute(T0);
        assertTrue(a.createSandbox());
        assertEquals(sb, a.sandboxId());
        assertEquals("sandbox has no IP address", a.sandboxReason());
    }

    @Test
    void restartPolicyNeverAllDoneGetsNoNewSandbox() throws Exception {
        Runtime rt = new Runtime(pod("Never", false, "app", "sidecar"));
        rt.sandbox(0, PodSandboxState.SANDBOX_NOTREADY);
        rt.exited(rt.container("app", ContainerState.CONTAINER_EXITED, 0), 0, T0);
        rt.exited(rt.container("sidecar", ContainerState.CONTAINER_EXITED, 0), 1, T0);
        PodActions a = rt.compute(T0.plusSeconds(60));
        assertFalse(a.createSandbox());
        assertTrue(a.containersToStart().isEmpty());
        assertTrue(a.killPod(), "only makes sure the old sandbox is down");
    }

    @Test
    void restartPolicyNeverAllExitedWithSandboxUpKillsThePod() throws Exception {
        Runtime rt = new Runtime(pod("Never", false, "app"));
        rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        rt.exited(rt.container("app", ContainerState.CONTAINER_EXITED, 0), 0, T0);
        PodActions a = rt.compute(T0.plusSeconds(60));
        assertFalse(a.createSandbox());
        assertTrue(a.containersToStart().isEmpty());
        assertTrue(a.killPod(), "upstream: nothing to keep and nothing to start → kill the pod (its sandbox)");
    }

    @Test
    void onFailureNewSandboxSkipsSucceededContainers() throws Exception {
        Runtime rt = new Runtime(pod("OnFailure", false, "ok", "bad"));
        rt.sandbox(0, PodSandboxState.SANDBOX_NOTREADY);
        rt.exited(rt.container("ok", ContainerState.CONTAINER_EXITED, 0), 0, T0);
        rt.exited(rt.container("bad", ContainerState.CONTAINER_EXITED, 0), 2, T0);
        PodActions a = rt.compute(T0.plusSeconds(60));
        assertTrue(a.createSandbox());
        assertEquals(List.of("bad"), a.namesToStart());
    }

    // ---- containers ----

    @Test
    void missingContainerStarts() throws Exception {
        Runtime rt = new Runtime(pod("Always", false, "app", "sidecar"));
        rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        rt.container("app", ContainerState.CONTAINER_RUNNING, 0);
        PodActions a = rt.compute(T0);
        assertFalse(a.createSandbox());
        assertFalse(a.killPod());
        assertEquals(List.of("sidecar"), a.namesToStart());
        ContainerToStart s = a.containersToStart().get(0);
        assertEquals(1, s.index());
        assertEquals("not found", s.reason());
        assertEquals(0, s.restartCount());
        assertFalse(s.restart());
    }

    /** {policy, exit code, restarts?} for a container that exited once, long ago (no back-off entry). */
    @Test
    void exitedContainerRestartsPerPolicy() throws Exception {
        Object[][] cases = {
                {"Always", 0, true, "exited, restart policy Always"},
                {"Always", 1, true, "exited, restart policy Always"},
                {"OnFailure", 0, false, null},
                {"OnFailure", 137, true, "exited with 137, restart policy OnFailure"},
                {"Never", 0, false, null},
                {"Never", 1, false, null},
        };
        for (Object[] c : cases) {
            String policy = (String) c[0];
            Runtime rt = new Runtime(pod(policy, false, "app", "keeper"));
            rt.sandbox(0, PodSandboxState.SANDBOX_READY);
            rt.exited(rt.container("app", ContainerState.CONTAINER_EXITED, 2), (int) c[1], T0);
            rt.container("keeper", ContainerState.CONTAINER_RUNNING, 0);
            PodActions a = rt.compute(T0.plusSeconds(5));
            String label = policy + " exit " + c[1];
            assertFalse(a.createSandbox(), label);
            assertFalse(a.killPod(), label + ": keeper still runs");
            if ((boolean) c[2]) {
                assertEquals(List.of("app"), a.namesToStart(), label);
                assertEquals(c[3], a.containersToStart().get(0).reason(), label);
                assertEquals(3, a.containersToStart().get(0).restartCount(), label);
                assertTrue(a.containersToStart().get(0).restart(), label);
            } else {
                assertTrue(a.isNoop(), label + ": " + a);
            }
        }
    }

    @Test
    void onFailureWithoutStatusCountsAsFailed() throws Exception {
        Runtime rt = new Runtime(pod("OnFailure", false, "app"));
        rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        rt.container("app", ContainerState.CONTAINER_EXITED, 0); // no ContainerStatus: exit code unknown
        assertEquals(List.of("app"), rt.compute(T0).namesToStart());
    }

    @Test
    void backOffBlocksRestartAndGrows10To20To40() throws Exception {
        Runtime rt = new Runtime(pod("Always", false, "app"));
        rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        Instant t = T0.plusSeconds(100);
        String id = rt.container("app", ContainerState.CONTAINER_EXITED, 0);
        rt.exited(id, 1, t);
        String msgPrefix = "restarting failed container=app pod=web-node1_default(" + rt.pod.getMetadata().getUid() + ")";
        List<String> seen = new ArrayList<>();
        for (int round = 0; round < 4; round++) {
            Instant now = t.plusMillis(500);
            PodActions a = rt.compute(now);
            if (round > 0) {
                // backing off: not started, waiting with upstream's reason and message
                assertTrue(a.containersToStart().isEmpty(), "round " + round);
                assertFalse(a.killPod(), "a crash-looping pod keeps its sandbox");
                PodActions.Waiting w = a.waiting().get("app");
                assertEquals("CrashLoopBackOff", w.reason());
                seen.add(w.message());
                Duration window = backoff.get(PodActionsCalculator.backOffKey(rt.pod, rt.pod.getSpec().getContainers().get(0)));
                assertFalse(rt.compute(t.plus(window).minusMillis(1)).waiting().isEmpty(), "just before the window ends");
                now = t.plus(window);
                a = rt.compute(now);
            }
            assertEquals(List.of("app"), a.namesToStart(), "round " + round);
            assertTrue(a.waiting().isEmpty());
            assertEquals(round + 1, a.containersToStart().get(0).restartCount());
            PodActionsCalculator.recordRestarts(a, backoff, now);
            // the new instance crashes one second later
            t = now.plusSeconds(1);
            id = rt.container("app", ContainerState.CONTAINER_EXITED, round + 1);
            rt.exited(id, 1, t);
        }
        assertEquals(List.of("back-off 10s " + msgPrefix, "back-off 20s " + msgPrefix, "back-off 40s " + msgPrefix), seen);
    }

    @Test
    void backOffIsMeasuredFromTheFinishNotTheRestart() throws Exception {
        Runtime rt = new Runtime(pod("Always", false, "app"));
        rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        rt.exited(rt.container("app", ContainerState.CONTAINER_EXITED, 0), 1, T0);
        PodActions first = rt.compute(T0.plusSeconds(1));
        PodActionsCalculator.recordRestarts(first, backoff, T0.plusSeconds(1)); // window 10 s
        // runs 30 s, then fails: still backs off 10 s from its finish (upstream IsInBackOffSince)
        Instant finish = T0.plusSeconds(31);
        rt.exited(rt.container("app", ContainerState.CONTAINER_EXITED, 1), 1, finish);
        assertEquals("CrashLoopBackOff", rt.compute(finish.plusSeconds(9)).waiting().get("app").reason());
        assertEquals(List.of("app"), rt.compute(finish.plusSeconds(10)).namesToStart());
    }

    @Test
    void backOffStartsOverAfterTenMinutesOfCleanRunning() throws Exception {
        Runtime rt = new Runtime(pod("Always", false, "app"));
        rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        rt.exited(rt.container("app", ContainerState.CONTAINER_EXITED, 0), 1, T0);
        Instant t = T0;
        for (int i = 1; i <= 3; i++) { // three quick crashes: the window is 40 s now
            PodActions a = rt.compute(t);
            PodActionsCalculator.recordRestarts(a, backoff, t);
            Instant finish = t.plusSeconds(1);
            rt.exited(rt.container("app", ContainerState.CONTAINER_EXITED, i), 1, finish);
            t = finish.plus(backoff.get(PodActionsCalculator.backOffKey(rt.pod, rt.pod.getSpec().getContainers().get(0))));
        }
        String key = PodActionsCalculator.backOffKey(rt.pod, rt.pod.getSpec().getContainers().get(0));
        assertEquals(Duration.ofSeconds(40), backoff.get(key));
        PodActionsCalculator.recordRestarts(rt.compute(t), backoff, t); // 80 s
        // this one runs 10 min 1 s before failing: stable, so no back-off and the next delay is 10 s again
        Instant finish = t.plus(Duration.ofMinutes(10)).plusSeconds(1);
        rt.exited(rt.container("app", ContainerState.CONTAINER_EXITED, 4), 1, finish);
        PodActions a = rt.compute(finish.plusMillis(100));
        assertEquals(List.of("app"), a.namesToStart());
        PodActionsCalculator.recordRestarts(a, backoff, finish.plusMillis(100));
        assertEquals(Duration.ofSeconds(10), backoff.get(key));
    }

    @Test
    void specChangeResetsBackOff() throws Exception {
        Runtime rt = new Runtime(pod("Always", false, "app"));
        rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        rt.exited(rt.container("app", ContainerState.CONTAINER_EXITED, 0), 1, T0);
        PodActionsCalculator.recordRestarts(rt.compute(T0), backoff, T0);
        rt.exited(rt.container("app", ContainerState.CONTAINER_EXITED, 1), 1, T0.plusSeconds(1));
        assertFalse(rt.compute(T0.plusSeconds(2)).waiting().isEmpty());
        Pod edited = load("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: web
                spec:
                  containers:
                  - name: app
                    image: busybox:2
                """);
        edited.getMetadata().setUid(rt.pod.getMetadata().getUid());
        PodActions a = PodActionsCalculator.compute(edited, rt.snapshot(), Map.of(), rt.statuses, backoff, T0.plusSeconds(2));
        assertEquals(List.of("app"), a.namesToStart(), "the back-off key includes the spec hash");
    }

    @Test
    void hashChangeKillsAndRestarts() throws Exception {
        Runtime rt = new Runtime(pod("Never", false, "app", "other"));
        rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        String app = rt.raw("app", ContainerState.CONTAINER_RUNNING, Map.of(
                KubeAnnotations.CONTAINER_HASH, "deadbeef", KubeAnnotations.CONTAINER_RESTART_COUNT, "4"));
        rt.container("other", ContainerState.CONTAINER_RUNNING, 0);
        PodActions a = rt.compute(T0);
        assertFalse(a.createSandbox());
        assertFalse(a.killPod());
        assertEquals(Map.of(app, new ContainerToKill("app", "Container app definition changed, will be restarted")),
                a.containersToKill());
        assertEquals(List.of("app"), a.namesToStart(), "restarted even under restartPolicy Never");
        assertEquals("spec hash changed", a.containersToStart().get(0).reason());
        assertEquals(5, a.containersToStart().get(0).restartCount());
    }

    @Test
    void matchingHashKeepsContainer() throws Exception {
        Pod pod = pod("Always", false, "app");
        Runtime rt = new Runtime(pod);
        rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        rt.raw("app", ContainerState.CONTAINER_RUNNING,
                Map.of(KubeAnnotations.CONTAINER_HASH, ContainerSpecHash.of(pod.getSpec().getContainers().get(0))));
        assertTrue(rt.compute(T0).isNoop());
    }

    @Test
    void unknownRunningContainerIsKilled() throws Exception {
        Runtime rt = new Runtime(pod("Always", false, "app"));
        rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        rt.container("app", ContainerState.CONTAINER_RUNNING, 0);
        String stray = rt.raw("removed", ContainerState.CONTAINER_RUNNING, Map.of());
        rt.raw("removed-too", ContainerState.CONTAINER_EXITED, Map.of());
        PodActions a = rt.compute(T0);
        assertEquals(Map.of(stray, new ContainerToKill("removed", "Container removed is not in the pod spec")), a.containersToKill());
        assertTrue(a.containersToStart().isEmpty());
        assertFalse(a.killPod());
    }

    @Test
    void olderRunningDuplicateIsKilled() throws Exception {
        Runtime rt = new Runtime(pod("Always", false, "app"));
        rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        String old = rt.container("app", ContainerState.CONTAINER_RUNNING, 0);
        String current = rt.container("app", ContainerState.CONTAINER_RUNNING, 1);
        PodActions a = rt.compute(T0);
        assertEquals(Map.of(old, new ContainerToKill("app", "Container app has a newer instance")), a.containersToKill());
        assertFalse(a.containersToKill().containsKey(current));
    }

    @Test
    void unknownStateContainerIsKilledAndRestarted() throws Exception {
        Runtime rt = new Runtime(pod("Never", false, "app"));
        rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        String id = rt.container("app", ContainerState.CONTAINER_UNKNOWN, 0);
        PodActions a = rt.compute(T0);
        assertEquals(List.of("app"), a.namesToStart());
        assertEquals("Container is in \"unknown\" state, try killing it before restart", a.containersToKill().get(id).message());
    }

    @Test
    void deletedPodRestartsNothing() throws Exception {
        Pod pod = pod("Always", false, "app");
        pod.getMetadata().setDeletionTimestamp("2026-01-01T00:00:00Z");
        Runtime rt = new Runtime(pod);
        rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        rt.exited(rt.container("app", ContainerState.CONTAINER_EXITED, 0), 1, T0);
        PodActions a = rt.compute(T0.plusSeconds(60));
        assertTrue(a.containersToStart().isEmpty());
        assertTrue(a.killPod());
    }

    // ---- init containers ----

    /** Pod "web" with {@code restartPolicy}, the given initContainers entries (YAML, 2-space list items) and app "app". */
    private static Pod withInits(String restartPolicy, String initContainers) throws Exception {
        return load("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: web
                spec:
                  restartPolicy: %s
                  initContainers:
                %s  containers:
                  - name: app
                    image: busybox:1
                """.formatted(restartPolicy, initContainers));
    }

    private static Pod initPod(String restartPolicy) throws Exception {
        return withInits(restartPolicy, """
                  - name: init1
                    image: busybox:1
                  - name: init2
                    image: busybox:1
                """);
    }

    @Test
    void initContainersRunInOrderBeforeApps() throws Exception {
        Runtime rt = new Runtime(initPod("Always"));
        PodActions fresh = rt.compute(T0);
        assertTrue(fresh.createSandbox());
        assertEquals(List.of("init1"), fresh.initNamesToStart());
        assertTrue(fresh.initContainersToStart().get(0).init());
        assertTrue(fresh.containersToStart().isEmpty(), "apps wait for init");

        rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        String i1 = rt.container("init1", ContainerState.CONTAINER_RUNNING, 0);
        assertTrue(rt.compute(T0).isNoop(), "init1 still runs");

        rt.containers.set(rt.containers.indexOf(rt.snapshot().container(i1).orElseThrow()),
                rt.snapshot().container(i1).orElseThrow().toBuilder().setState(ContainerState.CONTAINER_EXITED).build());
        rt.exited(i1, 0, T0.plusSeconds(1));
        PodActions second = rt.compute(T0.plusSeconds(2));
        assertEquals(List.of("init2"), second.initNamesToStart());
        assertEquals(1, second.initContainersToStart().get(0).index());
        assertTrue(second.containersToStart().isEmpty());

        rt.exited(rt.container("init2", ContainerState.CONTAINER_EXITED, 0), 0, T0.plusSeconds(3));
        PodActions apps = rt.compute(T0.plusSeconds(4));
        assertTrue(apps.initContainersToStart().isEmpty());
        assertEquals(List.of("app"), apps.namesToStart());
    }

    @Test
    void failedInitContainerRetriesOrFailsThePod() throws Exception {
        Runtime always = new Runtime(initPod("Always"));
        always.sandbox(0, PodSandboxState.SANDBOX_READY);
        always.exited(always.container("init1", ContainerState.CONTAINER_EXITED, 0), 0, T0);
        always.exited(always.container("init2", ContainerState.CONTAINER_EXITED, 0), 3, T0);
        PodActions a = always.compute(T0.plusSeconds(1));
        assertEquals(List.of("init2"), a.initNamesToStart());
        assertEquals(1, a.initContainersToStart().get(0).restartCount());
        assertFalse(a.killPod());

        Runtime never = new Runtime(initPod("Never"));
        never.sandbox(0, PodSandboxState.SANDBOX_READY);
        never.exited(never.container("init1", ContainerState.CONTAINER_EXITED, 0), 1, T0);
        PodActions n = never.compute(T0.plusSeconds(1));
        assertTrue(n.killPod(), "restartPolicy Never: a failed init container fails the pod");
        assertTrue(n.initContainersToStart().isEmpty());
        assertTrue(n.containersToStart().isEmpty());
    }

    @Test
    void runningAppMeansInitDone() throws Exception {
        Runtime rt = new Runtime(initPod("Always"));
        rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        rt.container("app", ContainerState.CONTAINER_RUNNING, 0); // init containers garbage-collected since
        assertTrue(rt.compute(T0).isNoop());
    }

    @Test
    void aFailedLivenessProbeKillsAndRestarts() throws Exception {
        Runtime rt = new Runtime(load("""
                apiVersion: v1
                kind: Pod
                metadata: {name: web}
                spec:
                  restartPolicy: OnFailure
                  containers:
                  - name: app
                    image: busybox
                    livenessProbe:
                      exec: {command: [cat, /tmp/alive]}
                      terminationGracePeriodSeconds: 3
                  - name: other
                    image: busybox
                """));
        rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        String app = rt.container("app", ContainerState.CONTAINER_RUNNING, 2);
        rt.container("other", ContainerState.CONTAINER_RUNNING, 0);
        PodActions a = PodActionsCalculator.compute(rt.pod, rt.snapshot(), rt.sandboxStatuses, rt.statuses, backoff, T0,
                (type, id) -> id.equals(app) && type == ProbeType.LIVENESS ? Optional.of(ProbeResult.FAILURE) : Optional.empty());
        assertEquals(Map.of(app, new ContainerToKill("app", "Container app failed liveness probe, will be restarted",
                java.time.Duration.ofSeconds(3))), a.containersToKill());
        assertEquals(List.of("app"), a.namesToStart(), "restarted even when it would exit 0 under OnFailure");
        assertEquals(3, a.containersToStart().get(0).restartCount());
        assertFalse(a.killPod());
    }

    @Test
    void aFailedStartupProbeUnderNeverKillsWithoutRestart() throws Exception {
        Runtime rt = new Runtime(pod("Never", false, "app"));
        rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        String app = rt.container("app", ContainerState.CONTAINER_RUNNING, 0);
        PodActions a = PodActionsCalculator.compute(rt.pod, rt.snapshot(), rt.sandboxStatuses, rt.statuses, backoff, T0,
                (type, id) -> type == ProbeType.STARTUP ? Optional.of(ProbeResult.FAILURE) : Optional.empty());
        assertEquals(Map.of(app, new ContainerToKill("app", "Container app failed startup probe")), a.containersToKill());
        assertEquals(List.of(), a.namesToStart());
        assertTrue(a.killPod(), "nothing left to run: the pod is killed, as upstream");
    }

    // ---- sidecars (init containers with restartPolicy Always) ----

    /** Pod {@code restartPolicy} with init containers {@code sidecar} (restartPolicy Always, plus {@code sidecarExtra}) and {@code init}, and app container {@code app}. */
    private static Pod sidecarPod(String restartPolicy, String sidecarExtra) throws Exception {
        return withInits(restartPolicy, """
                  - name: sidecar
                    image: busybox:1
                    restartPolicy: Always
                %s  - name: init
                    image: busybox:1
                """.formatted(sidecarExtra));
    }

    /** A sidecar pod past its init container: sandbox ready, the sidecar running, init exited 0, no app yet. */
    private Runtime initialized(String restartPolicy, String sidecarExtra) throws Exception {
        Runtime rt = new Runtime(sidecarPod(restartPolicy, sidecarExtra));
        rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        rt.container("sidecar", ContainerState.CONTAINER_RUNNING, 0);
        rt.exited(rt.container("init", ContainerState.CONTAINER_EXITED, 0), 0, T0.plusSeconds(2));
        return rt;
    }

    private static ProbeResults result(String containerId, ProbeType type, ProbeResult result) {
        return (t, id) -> t == type && id.equals(containerId) ? Optional.of(result) : Optional.empty();
    }

    @Test
    void aSidecarStartsInOrderAndIsNotWaitedFor() throws Exception {
        Runtime rt = new Runtime(sidecarPod("Never", ""));
        PodActions fresh = rt.compute(T0);
        assertEquals(List.of("sidecar"), fresh.initNamesToStart());
        assertTrue(fresh.initContainersToStart().get(0).sidecar());
        assertFalse(fresh.initContainersToStart().get(0).holdsBackLaterStarts());

        rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        rt.container("sidecar", ContainerState.CONTAINER_RUNNING, 0);
        PodActions next = rt.compute(T0.plusSeconds(1));
        assertEquals(List.of("init"), next.initNamesToStart(), "the sidecar runs: the next init container starts");
        assertTrue(next.initContainersToStart().get(0).holdsBackLaterStarts());
        assertTrue(next.containersToStart().isEmpty());

        String init = rt.container("init", ContainerState.CONTAINER_RUNNING, 0);
        assertTrue(rt.compute(T0.plusSeconds(2)).isNoop(), "a regular init container is waited for");

        rt.exit(init, 0, T0.plusSeconds(3));
        PodActions apps = rt.compute(T0.plusSeconds(4));
        assertEquals(List.of(), apps.initNamesToStart(), "the sidecar keeps running, nothing to start");
        assertEquals(List.of("app"), apps.namesToStart());

        rt.container("app", ContainerState.CONTAINER_RUNNING, 0);
        assertTrue(rt.compute(T0.plusSeconds(5)).isNoop());
    }

    @Test
    void aSidecarsStartupProbeGatesTheNextInitContainer() throws Exception {
        Runtime rt = new Runtime(sidecarPod("Always", """
                    startupProbe:
                      exec: {command: [cat, /tmp/up]}
                """));
        rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        String sidecar = rt.container("sidecar", ContainerState.CONTAINER_RUNNING, 0);
        assertTrue(rt.compute(T0, ProbeResults.NONE).isNoop(), "no startup result yet: wait");
        assertTrue(rt.compute(T0, result(sidecar, ProbeType.STARTUP, ProbeResult.UNKNOWN)).isNoop(), "not started yet");

        PodActions started = rt.compute(T0, result(sidecar, ProbeType.STARTUP, ProbeResult.SUCCESS));
        assertEquals(List.of("init"), started.initNamesToStart());

        PodActions failed = rt.compute(T0, result(sidecar, ProbeType.STARTUP, ProbeResult.FAILURE));
        assertEquals(List.of("sidecar"), failed.initNamesToStart(), "restarted, and the next one still waits");
        assertEquals(1, failed.initContainersToStart().get(0).restartCount());
        assertEquals(Map.of(sidecar, new ContainerToKill("sidecar", "Init container sidecar failed startup probe")),
                failed.containersToKill());
        assertFalse(failed.killPod());
    }

    @Test
    void aSidecarIsRestartedWithBackOffWhateverThePodsRestartPolicy() throws Exception {
        Runtime rt = initialized("Never", "");
        String sidecar = rt.id("sidecar");
        rt.container("app", ContainerState.CONTAINER_RUNNING, 0);
        rt.exit(sidecar, 1, T0.plusSeconds(10));

        PodActions a = rt.compute(T0.plusSeconds(11));
        assertEquals(List.of("sidecar"), a.initNamesToStart());
        assertTrue(a.initContainersToStart().get(0).restart());
        assertTrue(a.containersToStart().isEmpty(), "the app runs on; init is not run again");
        assertFalse(a.killPod());
        PodActionsCalculator.recordRestarts(a, backoff, T0.plusSeconds(11));

        rt.exit(rt.container("sidecar", ContainerState.CONTAINER_RUNNING, 1), 1, T0.plusSeconds(12));
        PodActions b = rt.compute(T0.plusSeconds(13));
        assertTrue(b.initContainersToStart().isEmpty());
        assertEquals("CrashLoopBackOff", b.waiting().get("sidecar").reason());
        assertTrue(b.waiting().get("sidecar").message().startsWith("back-off 10s restarting failed container=sidecar pod=web-node1_default("),
                b.waiting().get("sidecar").message());
        assertFalse(b.killPod(), "a crash-looping sidecar does not end the pod while the app runs");
    }

    @Test
    void aSidecarGoneFromTheRuntimeAfterInitializationIsStartedAgain() throws Exception {
        Runtime rt = new Runtime(sidecarPod("Always", ""));
        rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        rt.container("app", ContainerState.CONTAINER_RUNNING, 0); // init containers garbage-collected since
        PodActions a = rt.compute(T0);
        assertEquals(List.of("sidecar"), a.initNamesToStart(), "the sidecar, not the regular init container");
        assertTrue(a.containersToStart().isEmpty());
    }

    @Test
    void aJobLikePodEndsWhenItsAppContainersAreDoneAlthoughSidecarsRun() throws Exception {
        for (String policy : List.of("Never", "OnFailure")) {
            Runtime rt = initialized(policy, "");
            rt.exit(rt.container("app", ContainerState.CONTAINER_RUNNING, 0), 0, T0.plusSeconds(5));
            PodActions a = rt.compute(T0.plusSeconds(6));
            assertTrue(a.killPod(), policy + ": the app is done, the pod (and its sidecar) is stopped");
            assertTrue(a.initContainersToStart().isEmpty());
            assertTrue(a.containersToStart().isEmpty());
        }
        Runtime always = initialized("Always", "");
        always.exit(always.container("app", ContainerState.CONTAINER_RUNNING, 0), 0, T0.plusSeconds(5));
        PodActions a = always.compute(T0.plusSeconds(6));
        assertFalse(a.killPod());
        assertEquals(List.of("app"), a.namesToStart());
    }

    @Test
    void anExitedSidecarIsNotRestartedOnceTheAppIsDone() throws Exception {
        Runtime rt = initialized("Never", "");
        String sidecar = rt.id("sidecar");
        rt.exit(rt.container("app", ContainerState.CONTAINER_RUNNING, 0), 1, T0.plusSeconds(5));
        rt.exit(sidecar, 137, T0.plusSeconds(6));
        PodActions a = rt.compute(T0.plusSeconds(7));
        assertTrue(a.killPod());
        assertEquals(List.of(), a.initNamesToStart());
        assertTrue(a.waiting().isEmpty());
    }

    @Test
    void aSidecarsFailedLivenessProbeRestartsItUnderNever() throws Exception {
        Runtime rt = initialized("Never", """
                    livenessProbe:
                      exec: {command: [cat, /tmp/alive]}
                      terminationGracePeriodSeconds: 4
                """);
        String sidecar = rt.id("sidecar");
        rt.container("app", ContainerState.CONTAINER_RUNNING, 0);
        PodActions a = rt.compute(T0.plusSeconds(3), result(sidecar, ProbeType.LIVENESS, ProbeResult.FAILURE));
        assertEquals(Map.of(sidecar, new ContainerToKill("sidecar", "Init container sidecar failed liveness probe",
                java.time.Duration.ofSeconds(4))), a.containersToKill());
        assertEquals(List.of("sidecar"), a.initNamesToStart());
        assertFalse(a.killPod());
    }

    @Test
    void aSidecarWhoseSpecChangedIsReplaced() throws Exception {
        Runtime rt = new Runtime(sidecarPod("Always", ""));
        rt.sandbox(0, PodSandboxState.SANDBOX_READY);
        var old = new io.fabric8.kubernetes.api.model.ContainerBuilder(rt.pod.getSpec().getInitContainers().get(0))
                .withImage("busybox:old").build();
        String sidecar = rt.raw("sidecar", ContainerState.CONTAINER_RUNNING, KubeAnnotations.containerAnnotations(old, rt.pod, 0));
        rt.exited(rt.container("init", ContainerState.CONTAINER_EXITED, 0), 0, T0.plusSeconds(2));
        rt.container("app", ContainerState.CONTAINER_RUNNING, 0);
        PodActions a = rt.compute(T0.plusSeconds(3));
        assertEquals(Map.of(sidecar, new ContainerToKill("sidecar", "Init container sidecar definition changed")),
                a.containersToKill());
        assertEquals(List.of("sidecar"), a.initNamesToStart());
    }

    @Test
    void aFailedRegularInitContainerAfterASidecarFailsANeverPod() throws Exception {
        for (String policy : List.of("Never", "OnFailure")) {
            Runtime rt = new Runtime(sidecarPod(policy, ""));
            rt.sandbox(0, PodSandboxState.SANDBOX_READY);
            rt.container("sidecar", ContainerState.CONTAINER_RUNNING, 0);
            rt.exited(rt.container("init", ContainerState.CONTAINER_EXITED, 0), 2, T0.plusSeconds(2));
            PodActions a = rt.compute(T0.plusSeconds(3));
            boolean never = policy.equals("Never");
            assertEquals(never, a.killPod(), policy);
            assertEquals(never ? List.of() : List.of("init"), a.initNamesToStart(), policy + ": retried, the sidecar runs on");
        }
    }
}
