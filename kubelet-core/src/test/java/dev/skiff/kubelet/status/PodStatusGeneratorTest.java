package dev.skiff.kubelet.status;

import dev.skiff.cri.v1.PodSandboxState;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static dev.skiff.kubelet.status.CriFixtures.T0;
import static dev.skiff.kubelet.status.CriFixtures.created;
import static dev.skiff.kubelet.status.CriFixtures.exited;
import static dev.skiff.kubelet.status.CriFixtures.pod;
import static dev.skiff.kubelet.status.CriFixtures.running;
import static dev.skiff.kubelet.status.CriFixtures.sandbox;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PodStatusGeneratorTest {
    private final PodStatusGenerator gen = new PodStatusGenerator();

    private static CriPodView view(dev.skiff.cri.v1.ContainerStatus... cs) {
        return new CriPodView(Optional.of(sandbox("172.17.0.5", PodSandboxState.SANDBOX_READY)), List.of(cs));
    }

    private PodStatus generate(Pod pod, CriPodView view) {
        return gen.generate(PodStatusRequest.builder(pod).runtime(view).nodeIPs(List.of("10.0.0.2")).startTime(T0).build());
    }

    private static PodCondition cond(PodStatus s, String type) {
        return s.getConditions().stream().filter(c -> c.getType().equals(type)).findFirst().orElseThrow();
    }

    private static ContainerStatus cs(PodStatus s, String name) {
        return s.getContainerStatuses().stream().filter(c -> c.getName().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void nothingInTheRuntimeYetIsPendingContainerCreating() {
        PodStatus s = gen.generate(PodStatusRequest.builder(pod("Always", "app").build()).build());
        assertEquals("Pending", s.getPhase());
        ContainerStatus c = cs(s, "app");
        assertEquals("ContainerCreating", c.getState().getWaiting().getReason());
        assertFalse(c.getReady());
        assertFalse(c.getStarted());
        assertEquals(0, c.getRestartCount());
        assertEquals("busybox:1.36", c.getImage());
        assertEquals("False", cond(s, "PodReadyToStartContainers").getStatus());
        assertEquals("True", cond(s, "Initialized").getStatus());
        assertEquals("ContainersNotReady", cond(s, "ContainersReady").getReason());
        assertEquals("containers with unready status: [app]", cond(s, "ContainersReady").getMessage());
        assertEquals("False", cond(s, "Ready").getStatus());
        assertEquals("ContainersNotReady", cond(s, "Ready").getReason());
        assertEquals("containers with unready status: [app]", cond(s, "Ready").getMessage());
        assertEquals("True", cond(s, "PodScheduled").getStatus());
        assertNull(s.getPodIP());
        assertNull(s.getStartTime());
        assertEquals(List.of("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"),
                s.getConditions().stream().map(PodCondition::getType).toList());
    }

    @Test
    void runningContainerMakesARunningReadyPod() {
        PodStatus s = generate(pod("Always", "app").build(), view(running("abc123", "app", 0, T0)));
        assertEquals("Running", s.getPhase());
        ContainerStatus c = cs(s, "app");
        assertEquals("docker://abc123", c.getContainerID());
        assertEquals("docker://sha256:1111", c.getImageID());
        assertEquals("busybox:1.36", c.getImage());
        assertEquals("2026-11-24T10:00:01Z", c.getState().getRunning().getStartedAt());
        assertTrue(c.getReady());
        assertTrue(c.getStarted());
        for (String t : List.of("PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready", "PodScheduled")) {
            assertEquals("True", cond(s, t).getStatus(), t);
        }
        assertNull(cond(s, "Ready").getReason());
        assertEquals("172.17.0.5", s.getPodIP());
        assertEquals("172.17.0.5", s.getPodIPs().get(0).getIp());
        assertEquals("10.0.0.2", s.getHostIP());
        assertEquals("10.0.0.2", s.getHostIPs().get(0).getIp());
        assertEquals("2026-11-24T10:00:00Z", s.getStartTime());
        assertEquals("BestEffort", s.getQosClass());
    }

    @Test
    void runtimeNameIsTheContainerIdPrefix() {
        PodStatus s = gen.generate(PodStatusRequest.builder(pod("Always", "app").build())
                .runtime(view(running("abc", "app", 0, T0))).runtimeName("containerd").build());
        assertEquals("containerd://abc", cs(s, "app").getContainerID());
    }

    @Test
    void imageIdsAreQualifiedAsCriDockerdDoes() {
        assertEquals("docker://sha256:1111", PodStatusGenerator.imageId("sha256:1111"));
        assertEquals("docker-pullable://busybox@sha256:2222", PodStatusGenerator.imageId("busybox@sha256:2222"));
        assertEquals("docker-pullable://x@sha256:3", PodStatusGenerator.imageId("docker-pullable://x@sha256:3"));
        assertEquals("", PodStatusGenerator.imageId(""));
    }

    @Test
    void readinessProbeGatesReadiness() {
        Pod p = pod("Always", "app").editSpec().editFirstContainer()
                .withReadinessProbe(new ProbeBuilder().withNewExec().withCommand("true").endExec().build())
                .endContainer().endSpec().build();
        CriPodView v = view(running("abc", "app", 0, T0));
        PodStatus unknown = generate(p, v);
        assertEquals("Running", unknown.getPhase());
        assertFalse(cs(unknown, "app").getReady());
        assertEquals("containers with unready status: [app]", cond(unknown, "Ready").getMessage());
        PodStatus ready = gen.generate(PodStatusRequest.builder(p).runtime(v).ready("app", true).build());
        assertTrue(cs(ready, "app").getReady());
        assertEquals("True", cond(ready, "Ready").getStatus());
    }

    @Test
    void startupProbeGatesStartedAndReady() {
        Pod p = pod("Always", "app").editSpec().editFirstContainer()
                .withStartupProbe(new ProbeBuilder().withNewExec().withCommand("true").endExec().build())
                .endContainer().endSpec().build();
        CriPodView v = view(running("abc", "app", 0, T0));
        ContainerStatus notYet = cs(generate(p, v), "app");
        assertFalse(notYet.getStarted());
        assertFalse(notYet.getReady());
        ContainerStatus started = cs(gen.generate(PodStatusRequest.builder(p).runtime(v).started("app", true).build()), "app");
        assertTrue(started.getStarted());
        assertTrue(started.getReady());
    }

    @Test
    void oneWaitingContainerKeepsThePodPendingWithItsReason() {
        PodStatus s = gen.generate(PodStatusRequest.builder(pod("Always", "a", "b").build())
                .runtime(view(running("abc", "a", 0, T0)))
                .waiting("b", "ErrImagePull", "pull access denied for nope").build());
        assertEquals("Pending", s.getPhase());
        assertEquals("ErrImagePull", cs(s, "b").getState().getWaiting().getReason());
        assertEquals("pull access denied for nope", cs(s, "b").getState().getWaiting().getMessage());
        assertEquals("containers with unready status: [b]", cond(s, "ContainersReady").getMessage());
        assertEquals("True", cond(s, "PodReadyToStartContainers").getStatus());
    }

    @Test
    void aWaitingReasonNeverHidesARunningContainer() {
        PodStatus s = gen.generate(PodStatusRequest.builder(pod("Always", "a").build())
                .runtime(view(running("abc", "a", 0, T0))).waiting("a", "CrashLoopBackOff", "stale").build());
        assertTrue(cs(s, "a").getState().getRunning() != null);
    }

    @Test
    void crashLoopBackOffMovesTheTerminationToLastState() {
        String msg = "back-off 40s restarting failed container=app pod=web-node-a_default(uid-1)";
        PodStatus s = gen.generate(PodStatusRequest.builder(pod("Always", "app").build())
                .runtime(view(exited("new", "app", 3, T0.plusSeconds(60), 1, "Error"),
                        exited("old", "app", 2, T0, 1, "Error")))
                .waiting("app", "CrashLoopBackOff", msg).build());
        assertEquals("Running", s.getPhase(), "restartPolicy Always: a crash-looping pod stays Running");
        ContainerStatus c = cs(s, "app");
        assertEquals("CrashLoopBackOff", c.getState().getWaiting().getReason());
        assertEquals(msg, c.getState().getWaiting().getMessage());
        assertEquals(3, c.getRestartCount());
        assertEquals("Error", c.getLastState().getTerminated().getReason());
        assertEquals(1, c.getLastState().getTerminated().getExitCode());
        assertEquals("docker://new", c.getLastState().getTerminated().getContainerID());
        assertEquals("2026-11-24T10:01:05Z", c.getLastState().getTerminated().getFinishedAt());
        assertEquals("2026-11-24T10:01:01Z", c.getLastState().getTerminated().getStartedAt());
        assertFalse(c.getReady());
        assertEquals("ContainersNotReady", cond(s, "Ready").getReason());
    }

    @Test
    void lastStateIsThePreviousAttemptWhileRunning() {
        PodStatus s = generate(pod("Always", "app").build(),
                view(exited("old", "app", 0, T0, 137, "OOMKilled"), running("new", "app", 1, T0.plusSeconds(30))));
        ContainerStatus c = cs(s, "app");
        assertEquals("docker://new", c.getContainerID());
        assertEquals(1, c.getRestartCount());
        assertEquals("OOMKilled", c.getLastState().getTerminated().getReason());
        assertEquals(137, c.getLastState().getTerminated().getExitCode());
    }

    @Test
    void createdButNotStartedIsWaitingWithoutReason() {
        PodStatus s = generate(pod("Always", "app").build(), view(created("abc", "app", T0)));
        assertEquals("Pending", s.getPhase());
        assertNull(cs(s, "app").getState().getWaiting().getReason());
    }

    @Test
    void restartPolicyAlwaysAllExitedIsRunning() {
        assertEquals("Running", generate(pod("Always", "app").build(), view(exited("a", "app", 0, T0, 0, "Completed"))).getPhase());
        assertEquals("Running", generate(pod("Always", "app").build(), view(exited("a", "app", 0, T0, 1, "Error"))).getPhase());
    }

    @Test
    void restartPolicyNever() {
        PodStatus ok = generate(pod("Never", "app").build(), view(exited("a", "app", 0, T0, 0, "Completed")));
        assertEquals("Succeeded", ok.getPhase());
        assertEquals("Completed", cs(ok, "app").getState().getTerminated().getReason());
        assertEquals(0, cs(ok, "app").getState().getTerminated().getExitCode());
        assertEquals("PodCompleted", cond(ok, "ContainersReady").getReason());
        assertEquals("False", cond(ok, "ContainersReady").getStatus());
        assertEquals("PodCompleted", cond(ok, "Ready").getReason());
        assertEquals("True", cond(ok, "Initialized").getStatus());
        assertEquals("PodCompleted", cond(ok, "Initialized").getReason());

        PodStatus bad = generate(pod("Never", "app").build(), view(exited("a", "app", 0, T0, 2, "Error")));
        assertEquals("Failed", bad.getPhase());
        assertEquals("PodFailed", cond(bad, "ContainersReady").getReason());
        assertEquals("PodFailed", cond(bad, "Ready").getReason());

        PodStatus mixed = generate(pod("Never", "a", "b").build(),
                view(exited("1", "a", 0, T0, 0, "Completed"), exited("2", "b", 0, T0, 1, "Error")));
        assertEquals("Failed", mixed.getPhase());

        PodStatus oneRunning = generate(pod("Never", "a", "b").build(),
                view(exited("1", "a", 0, T0, 1, "Error"), running("2", "b", 0, T0)));
        assertEquals("Running", oneRunning.getPhase());
    }

    @Test
    void restartPolicyOnFailure() {
        assertEquals("Succeeded", generate(pod("OnFailure", "app").build(), view(exited("a", "app", 0, T0, 0, "Completed"))).getPhase());
        assertEquals("Running", generate(pod("OnFailure", "app").build(), view(exited("a", "app", 0, T0, 1, "Error"))).getPhase());
    }

    @Test
    void aTerminalPodIsDecidedByExitCodesWhateverThePolicy() {
        Pod p = pod("Always", "app").build();
        PodStatus ok = gen.generate(PodStatusRequest.builder(p).runtime(view(exited("a", "app", 0, T0, 0, "Completed")))
                .podIsTerminal(true).build());
        assertEquals("Succeeded", ok.getPhase());
        PodStatus bad = gen.generate(PodStatusRequest.builder(p).runtime(view(exited("a", "app", 0, T0, 137, "Error")))
                .podIsTerminal(true).build());
        assertEquals("Failed", bad.getPhase());
    }

    @Test
    void terminationMessageIsAppendedToTheRuntimeMessage() {
        dev.skiff.cri.v1.ContainerStatus c = exited("a", "app", 0, T0, 1, "Error").toBuilder().setMessage("").build();
        PodStatus s = gen.generate(PodStatusRequest.builder(pod("Never", "app").build()).runtime(view(c))
                .terminationMessage("a", "disk full").build());
        assertEquals("disk full", cs(s, "app").getState().getTerminated().getMessage());
        dev.skiff.cri.v1.ContainerStatus withMsg = c.toBuilder().setMessage("oci error").build();
        PodStatus s2 = gen.generate(PodStatusRequest.builder(pod("Never", "app").build()).runtime(view(withMsg))
                .terminationMessage("a", "disk full").build());
        assertEquals("oci error: disk full", cs(s2, "app").getState().getTerminated().getMessage());
        PodStatus none = generate(pod("Never", "app").build(), view(c));
        assertNull(cs(none, "app").getState().getTerminated().getMessage());
    }

    @Test
    void initContainersRunFirst() {
        Pod p = pod("Always", "app").editSpec().addNewInitContainer().withName("init").withImage("busybox").endInitContainer()
                .endSpec().build();
        PodStatus s = generate(p, view(running("i1", "init", 0, T0)));
        assertEquals("Pending", s.getPhase());
        assertEquals("PodInitializing", cs(s, "app").getState().getWaiting().getReason());
        assertEquals("False", cond(s, "Initialized").getStatus());
        assertEquals("ContainersNotInitialized", cond(s, "Initialized").getReason());
        assertEquals("containers with incomplete status: [init]", cond(s, "Initialized").getMessage());
        assertEquals(1, s.getInitContainerStatuses().size());

        PodStatus done = generate(p, view(exited("i1", "init", 0, T0, 0, "Completed"), running("a1", "app", 0, T0.plusSeconds(10))));
        assertEquals("Running", done.getPhase());
        assertTrue(done.getInitContainerStatuses().get(0).getReady());
        assertEquals("True", cond(done, "Initialized").getStatus());
        assertEquals("True", cond(done, "Ready").getStatus());

        Pod never = pod("Never", "app").editSpec().addNewInitContainer().withName("init").withImage("busybox").endInitContainer()
                .endSpec().build();
        assertEquals("Failed", generate(never, view(exited("i1", "init", 0, T0, 1, "Error"))).getPhase());
        assertEquals("Pending", generate(p, view(exited("i1", "init", 0, T0, 1, "Error"))).getPhase(),
                "restartPolicy Always retries a failed init container");
    }

    /** Pod {@code restartPolicy}: init containers {@code sidecar} (restartPolicy Always) and {@code init}, then {@code app}. */
    private static Pod sidecarPod(String restartPolicy, boolean startupProbe, boolean readinessProbe) {
        var sidecar = new io.fabric8.kubernetes.api.model.ContainerBuilder().withName("sidecar").withImage("busybox")
                .withRestartPolicy("Always");
        if (startupProbe) {
            sidecar.withStartupProbe(new ProbeBuilder().withNewExec().withCommand("true").endExec().build());
        }
        if (readinessProbe) {
            sidecar.withReadinessProbe(new ProbeBuilder().withNewExec().withCommand("true").endExec().build());
        }
        return pod(restartPolicy, "app").editSpec().addToInitContainers(sidecar.build())
                .addNewInitContainer().withName("init").withImage("busybox").endInitContainer().endSpec().build();
    }

    private static ContainerStatus ics(PodStatus s, String name) {
        return s.getInitContainerStatuses().stream().filter(c -> c.getName().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void aSidecarIsStartedOnceRunningAndItsStartupProbePassed() {
        Pod p = sidecarPod("Never", true, false);
        CriPodView v = view(running("s1", "sidecar", 0, T0));
        PodStatus s = generate(p, v);
        assertEquals("Pending", s.getPhase());
        assertFalse(ics(s, "sidecar").getStarted(), "its startup probe has not passed");
        assertFalse(ics(s, "sidecar").getReady());
        assertEquals("containers with incomplete status: [sidecar init]", cond(s, "Initialized").getMessage());
        assertEquals("PodInitializing", ics(s, "init").getState().getWaiting().getReason());

        PodStatus started = gen.generate(PodStatusRequest.builder(p).runtime(v).started("sidecar", true).build());
        assertTrue(ics(started, "sidecar").getStarted());
        assertTrue(ics(started, "sidecar").getReady(), "no readiness probe: ready once started");
        assertEquals("containers with incomplete status: [init]", cond(started, "Initialized").getMessage());
        assertEquals("Pending", started.getPhase());
    }

    @Test
    void aRunningSidecarBesideARunningAppIsARunningReadyPod() {
        Pod p = sidecarPod("Never", false, true);
        CriPodView v = view(running("s1", "sidecar", 0, T0), exited("i1", "init", 0, T0.plusSeconds(1), 0, "Completed"),
                running("a1", "app", 0, T0.plusSeconds(10)));
        PodStatus notReady = generate(p, v);
        assertEquals("Running", notReady.getPhase());
        assertEquals("True", cond(notReady, "Initialized").getStatus());
        assertEquals("containers with unready status: [sidecar]", cond(notReady, "ContainersReady").getMessage(),
                "a sidecar's readiness probe counts for the pod's readiness");
        assertEquals(3, notReady.getInitContainerStatuses().size() + notReady.getContainerStatuses().size());

        PodStatus ready = gen.generate(PodStatusRequest.builder(p).runtime(v).ready("sidecar", true).build());
        assertEquals("True", cond(ready, "ContainersReady").getStatus());
        assertEquals("True", cond(ready, "Ready").getStatus());
        assertTrue(ics(ready, "init").getReady(), "a completed init container is ready");
        assertFalse(ics(ready, "init").getStarted());
    }

    @Test
    void aSidecarStillRunningKeepsAJobLikePodRunningUntilItIsStopped() {
        Pod p = sidecarPod("Never", false, false);
        CriPodView running = view(running("s1", "sidecar", 0, T0), exited("i1", "init", 0, T0.plusSeconds(1), 0, "Completed"),
                exited("a1", "app", 0, T0.plusSeconds(10), 0, "Completed"));
        assertEquals("Running", generate(p, running).getPhase(), "upstream getPhase counts a running sidecar");

        CriPodView stopped = view(exited("s1", "sidecar", 0, T0, 137, "Error"),
                exited("i1", "init", 0, T0.plusSeconds(1), 0, "Completed"), exited("a1", "app", 0, T0.plusSeconds(10), 0, "Completed"));
        PodStatus done = generate(p, stopped);
        assertEquals("Succeeded", done.getPhase(), "a stopped sidecar's exit code does not count");
        assertEquals("PodCompleted", cond(done, "Initialized").getReason());
        assertEquals("PodCompleted", cond(done, "ContainersReady").getReason());

        CriPodView failed = view(exited("s1", "sidecar", 0, T0, 137, "Error"),
                exited("i1", "init", 0, T0.plusSeconds(1), 0, "Completed"), exited("a1", "app", 0, T0.plusSeconds(10), 3, "Error"));
        assertEquals("Failed", generate(p, failed).getPhase());
    }

    @Test
    void aRestartingSidecarDoesNotMakeAnInitializedPodPending() {
        Pod p = sidecarPod("Always", false, false);
        PodStatus s = gen.generate(PodStatusRequest.builder(p)
                .runtime(view(exited("s1", "sidecar", 0, T0, 1, "Error"), exited("i1", "init", 0, T0.plusSeconds(1), 0, "Completed"),
                        running("a1", "app", 0, T0.plusSeconds(10))))
                .waiting("sidecar", "CrashLoopBackOff", "back-off 10s restarting failed container=sidecar pod=web").build());
        assertEquals("Running", s.getPhase());
        assertEquals("CrashLoopBackOff", ics(s, "sidecar").getState().getWaiting().getReason());
        assertEquals(1, ics(s, "sidecar").getLastState().getTerminated().getExitCode());
        assertEquals("True", cond(s, "Initialized").getStatus(), "the app runs: the pod initialized before");
        assertEquals("containers with unready status: [sidecar]", cond(s, "ContainersReady").getMessage());
    }

    @Test
    void aFailedInitContainerCrashLoopsWhileTheSidecarRuns() {
        Pod p = sidecarPod("OnFailure", false, false);
        PodStatus s = gen.generate(PodStatusRequest.builder(p)
                .runtime(view(running("s1", "sidecar", 0, T0), exited("i1", "init", 0, T0.plusSeconds(1), 1, "Error")))
                .waiting("init", "CrashLoopBackOff", "back-off 10s restarting failed container=init pod=web").build());
        assertEquals("Pending", s.getPhase());
        assertEquals("CrashLoopBackOff", ics(s, "init").getState().getWaiting().getReason());
        assertEquals("PodInitializing", cs(s, "app").getState().getWaiting().getReason());
        assertEquals("containers with incomplete status: [init]", cond(s, "Initialized").getMessage());
    }

    @Test
    void hostNetworkPodsGetTheNodeIps() {
        Pod p = pod("Always", "app").editSpec().withHostNetwork(true).endSpec().build();
        CriPodView v = new CriPodView(Optional.of(sandbox("", PodSandboxState.SANDBOX_READY)), List.of(running("a", "app", 0, T0)));
        PodStatus s = generate(p, v);
        assertEquals("10.0.0.2", s.getPodIP());
        assertEquals("True", cond(s, "PodReadyToStartContainers").getStatus());
    }

    @Test
    void aNotReadySandboxHasNoPodIp() {
        CriPodView v = new CriPodView(Optional.of(sandbox("172.17.0.5", PodSandboxState.SANDBOX_NOTREADY)), List.of());
        PodStatus s = generate(pod("Always", "app").build(), v);
        assertNull(s.getPodIP());
        assertEquals("False", cond(s, "PodReadyToStartContainers").getStatus());
    }

    @Test
    void unknownReadinessGateKeepsThePodNotReady() {
        Pod p = pod("Always", "app").editSpec().addNewReadinessGate("example.com/lb").endSpec().build();
        PodStatus s = generate(p, view(running("a", "app", 0, T0)));
        assertEquals("True", cond(s, "ContainersReady").getStatus());
        assertEquals("False", cond(s, "Ready").getStatus());
        assertEquals("ReadinessGatesNotReady", cond(s, "Ready").getReason());
        assertEquals("corresponding condition of pod readiness gate \"example.com/lb\" does not exist.",
                cond(s, "Ready").getMessage());
    }

    @Test
    void phaseIsNeverUnknown() {
        for (String policy : List.of("Always", "OnFailure", "Never")) {
            for (CriPodView v : List.of(CriPodView.EMPTY, view(created("c", "app", T0)), view(running("r", "app", 0, T0)),
                    view(exited("e", "app", 0, T0, 1, "Error")))) {
                assertTrue(List.of("Pending", "Running", "Succeeded", "Failed").contains(generate(pod(policy, "app").build(), v).getPhase()));
            }
        }
    }
}
