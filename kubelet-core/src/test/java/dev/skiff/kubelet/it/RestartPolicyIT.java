package dev.skiff.kubelet.it;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** restartPolicy Always (with CrashLoopBackOff), Never and OnFailure, against what Docker ran. */
class RestartPolicyIT extends KubeletItSupport {

    @Test
    void failingContainerRestartsWithBackOff() throws Exception {
        kubelet.writeManifest("crash.yaml", podYaml("crash", "", container("crash", "echo boom; exit 1")));

        // upstream: the first restart is immediate, then 10 s, 20 s ... of CrashLoopBackOff between restarts
        Map<Integer, Long> firstSeenMillis = new TreeMap<>();
        boolean sawBackOff = false;
        Pod backingOff = null;
        long start = System.nanoTime();
        long deadline = start + Duration.ofSeconds(45).toNanos();
        Optional<Pod> last = Optional.empty();
        while (System.nanoTime() < deadline) {
            last = kubelet.pod("crash");
            if (last.isPresent() && last.get().getStatus() != null && last.get().getStatus().getContainerStatuses() != null
                    && !last.get().getStatus().getContainerStatuses().isEmpty()) {
                ContainerStatus cs = status(last.get(), "crash");
                int count = cs.getRestartCount() == null ? 0 : cs.getRestartCount();
                firstSeenMillis.putIfAbsent(count, (System.nanoTime() - start) / 1_000_000);
                boolean waitingBackOff = cs.getState() != null && cs.getState().getWaiting() != null
                        && "CrashLoopBackOff".equals(cs.getState().getWaiting().getReason());
                sawBackOff |= waitingBackOff && count >= 1;
                if (waitingBackOff && count >= 2) {
                    backingOff = last.get();
                    break;
                }
            }
            Thread.sleep(200);
        }
        String seen = "restartCount first seen at (ms) " + firstSeenMillis + ", CrashLoopBackOff seen: " + sawBackOff
                + ", last: " + last.map(kubelet::toJson).orElse("<not listed>") + "\n" + kubelet.logTail();
        assertNotNull(backingOff, "no CrashLoopBackOff at restartCount >= 2 within 45 s; " + seen);
        assertTrue(sawBackOff, seen);
        // back-off, not a hot loop: between the first and the second restart lies the 10 s back-off
        assertTrue(firstSeenMillis.containsKey(1) && firstSeenMillis.containsKey(2), seen);
        long gap = firstSeenMillis.get(2) - firstSeenMillis.get(1);
        assertTrue(gap >= 8_000, "restart 1 -> 2 took only " + gap + " ms; " + seen);
        // upstream phase for a crash-looping container under restartPolicy Always
        assertEquals("Running", backingOff.getStatus().getPhase(), seen);

        ContainerStatus cs = status(backingOff, "crash");
        ContainerStateTerminated lastTerm = cs.getLastState() == null ? null : cs.getLastState().getTerminated();
        assertNotNull(lastTerm, "no lastState.terminated: " + kubelet.toJson(cs));
        assertEquals(1, lastTerm.getExitCode(), kubelet.toJson(cs));
        assertEquals("Error", lastTerm.getReason(), kubelet.toJson(cs));

        // Docker: the last run really exited 1, and it was attempt <restartCount>
        String lastId = PodDocker.dockerId(lastTerm.getContainerID());
        InspectContainerResponse inspect = PodDocker.inspect(lastId)
                .orElseThrow(() -> new AssertionError("last terminated container " + lastId + " not in Docker"));
        assertFalse(Boolean.TRUE.equals(inspect.getState().getRunning()));
        assertEquals(1L, inspect.getState().getExitCodeLong());
        assertTrue(inspect.getName().endsWith("_" + cs.getRestartCount()),
                "Docker name " + inspect.getName() + " is not attempt " + cs.getRestartCount());
        // at no time did two instances run at once
        assertTrue(PodDocker.containers(uid(backingOff)).stream().filter(PodDocker::isRunning).count() <= 1,
                describe(PodDocker.all(uid(backingOff))));
    }

    @Test
    void neverSucceedsOnExitZero() throws Exception {
        assertRunsOnce("Never", 0, "Succeeded", "Completed");
    }

    @Test
    void neverFailsOnExitOne() throws Exception {
        assertRunsOnce("Never", 1, "Failed", "Error");
    }

    @Test
    void onFailureSucceedsOnExitZeroWithoutRestart() throws Exception {
        assertRunsOnce("OnFailure", 0, "Succeeded", "Completed");
    }

    private void assertRunsOnce(String policy, int exitCode, String phase, String reason) throws Exception {
        kubelet.writeManifest("once.yaml", podYaml("once", "  restartPolicy: " + policy + "\n",
                container("main", "sleep 1; exit " + exitCode)));
        Pod p = kubelet.awaitPod("once", x -> phase(x, phase), RUNNING_TIMEOUT, phase);
        String uid = uid(p);
        ContainerStatus cs = status(p, "main");
        assertNotNull(cs.getState().getTerminated(), kubelet.toJson(cs));
        assertEquals(exitCode, cs.getState().getTerminated().getExitCode(), kubelet.toJson(cs));
        assertEquals(reason, cs.getState().getTerminated().getReason(), kubelet.toJson(cs));

        String id = PodDocker.dockerId(cs.getState().getTerminated().getContainerID());
        InspectContainerResponse inspect = PodDocker.inspect(id)
                .orElseThrow(() -> new AssertionError("terminated container " + id + " not in Docker"));
        assertEquals((long) exitCode, inspect.getState().getExitCodeLong());

        // give a wrong restart time to happen: still one run, phase unchanged
        Thread.sleep(3_000);
        List<Container> runs = PodDocker.containers(uid);
        assertEquals(1, runs.size(), "restarted under restartPolicy " + policy + ": " + describe(PodDocker.all(uid)));
        assertEquals(id, runs.get(0).getId());
        assertFalse(PodDocker.isRunning(runs.get(0)), describe(runs));
        Pod later = kubelet.pod("once").orElseThrow();
        assertEquals(phase, later.getStatus().getPhase(), kubelet.toJson(later.getStatus()));
        assertEquals(0, status(later, "main").getRestartCount(), kubelet.toJson(later.getStatus()));
    }
}
