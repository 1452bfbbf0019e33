package dev.skiff.kubelet;

import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.kubelet.pleg.RuntimePod;
import dev.skiff.kubelet.worker.PodWorkers;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KubeletPodStateTest {
    private final PodWorkers<Pod> workers = new PodWorkers<>(new RecordingSyncer(), 1, Duration.ofSeconds(10), Clock.systemUTC());
    private final Map<String, RuntimePod> runtime = new HashMap<>();

    @AfterEach
    void close() {
        workers.close();
    }

    private static RuntimePod sandbox(String uid, PodSandboxState state) {
        return new RuntimePod(uid, "p", "default", List.of(PodSandbox.newBuilder().setId("s").setState(state).build()), List.of());
    }

    @Test
    void nothingIsTornDownBeforeTheWorkersAndThePlegAreThere() {
        assertTrue(new KubeletPodState(new PodManager(), () -> null, () -> runtime).couldHaveRunningContainers("u1"));
        assertTrue(new KubeletPodState(new PodManager(), () -> workers, () -> null).couldHaveRunningContainers("u1"));
    }

    @Test
    void anUnknownPodStillRunningInTheRuntimeKeepsItsVolumes() {
        KubeletPodState state = new KubeletPodState(new PodManager(), () -> workers, () -> runtime);
        workers.syncKnownPods(Set.of()); // after this, unknown uids count as having nothing on the node
        assertFalse(state.couldHaveRunningContainers("gone"));
        runtime.put("orphan", sandbox("orphan", PodSandboxState.SANDBOX_READY));
        assertTrue(state.couldHaveRunningContainers("orphan"), "its sandbox still runs: housekeeping has not killed it yet");
        runtime.put("orphan", sandbox("orphan", PodSandboxState.SANDBOX_NOTREADY));
        assertFalse(state.couldHaveRunningContainers("orphan"));
    }
}
