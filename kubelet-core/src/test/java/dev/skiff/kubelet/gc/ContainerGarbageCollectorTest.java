package dev.skiff.kubelet.gc;

import dev.skiff.kubelet.worker.FakeClock;
import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.kubelet.kuberuntime.manager.ContainerGc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.skiff.cri.v1.ContainerState.CONTAINER_CREATED;
import static dev.skiff.cri.v1.ContainerState.CONTAINER_EXITED;
import static dev.skiff.cri.v1.ContainerState.CONTAINER_RUNNING;
import static dev.skiff.cri.v1.PodSandboxState.SANDBOX_NOTREADY;
import static dev.skiff.cri.v1.PodSandboxState.SANDBOX_READY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ContainerGarbageCollectorTest {
    @TempDir
    Path tmp;

    private final FakeRuntime runtime = new FakeRuntime();
    private final Set<String> known = new HashSet<>();
    private boolean sourcesReady = true;
    private final FakeClock clock = new FakeClock(Instant.now());

    private Path podsDir() throws IOException {
        return Files.createDirectories(tmp.resolve("root/pods"));
    }

    private Path logsDir() throws IOException {
        return Files.createDirectories(tmp.resolve("pod-logs"));
    }

    private void own(String uid) throws IOException {
        Files.createDirectories(podsDir().resolve(uid));
    }

    private ContainerGarbageCollector gc() throws IOException {
        PodOwnership pods = PodOwnership.of(() -> sourcesReady, known::contains, podsDir());
        return new ContainerGarbageCollector(runtime.service(), new ContainerGc(runtime.service()), pods, logsDir(), clock);
    }

    @Test
    void aKnownPodKeepsTheNewestDeadInstanceOfEachContainer() throws IOException {
        known.add("u1");
        runtime.sandbox("s-old", "u1", SANDBOX_NOTREADY);
        runtime.container("a1", "s-old", "u1", "app", CONTAINER_EXITED);
        runtime.sandbox("s-new", "u1", SANDBOX_READY);
        runtime.container("a2", "s-new", "u1", "app", CONTAINER_EXITED);
        runtime.container("b1", "s-new", "u1", "side", CONTAINER_EXITED);
        runtime.container("a3", "s-new", "u1", "app", CONTAINER_EXITED);
        runtime.container("b2", "s-new", "u1", "side", CONTAINER_EXITED);
        runtime.container("a4", "s-new", "u1", "app", CONTAINER_RUNNING);

        ContainerGarbageCollector.Result r = gc().collect();

        assertEquals(List.of("b1", "a2", "a1"), runtime.removedContainers, "older dead instances, newest first");
        assertEquals(List.of("s-old"), runtime.removedSandboxes, "the old sandbox lost its last container");
        assertEquals(Set.of("a3", "a4", "b2"), ids(), "running a4, newest dead a3 (lastState) and b2 stay");
        assertEquals(3, r.containersRemoved());
        assertEquals(1, r.sandboxesRemoved());
    }

    @Test
    void theNewestSandboxOfAPodThatIsNotGoneStaysEvenWhenNotReady() throws IOException {
        known.add("u1");
        runtime.sandbox("s1", "u1", SANDBOX_NOTREADY);
        runtime.sandbox("s2", "u1", SANDBOX_NOTREADY);
        runtime.sandbox("s3", "u1", SANDBOX_NOTREADY);
        runtime.container("c1", "s2", "u1", "app", CONTAINER_EXITED);

        gc().collect();

        assertEquals(List.of("s1"), runtime.removedSandboxes, "s3 newest, s2 holds the container's lastState");
    }

    @Test
    void aCreatedInstanceOfAKnownPodIsNeverTakenForDead() throws IOException {
        known.add("u1");
        runtime.sandbox("s", "u1", SANDBOX_READY);
        runtime.container("old", "s", "u1", "app", CONTAINER_EXITED);
        runtime.container("last", "s", "u1", "app", CONTAINER_EXITED);
        runtime.container("starting", "s", "u1", "app", CONTAINER_CREATED);

        gc().collect();

        assertEquals(List.of("old"), runtime.removedContainers, "a worker may be about to start the created one");
    }

    @Test
    void everythingDeadOfAGonePodOfOursGoesButNothingRunning() throws IOException {
        own("gone");
        runtime.sandbox("s-dead", "gone", SANDBOX_NOTREADY);
        runtime.container("d1", "s-dead", "gone", "app", CONTAINER_EXITED);
        runtime.container("d2", "s-dead", "gone", "app", CONTAINER_EXITED);
        runtime.container("d3", "s-dead", "gone", "side", CONTAINER_CREATED);
        own("gone-running");
        runtime.sandbox("s-live", "gone-running", SANDBOX_READY);
        runtime.container("r1", "s-live", "gone-running", "app", CONTAINER_RUNNING);
        runtime.container("r0", "s-live", "gone-running", "app", CONTAINER_EXITED);

        ContainerGarbageCollector.Result r = gc().collect();

        assertEquals(Set.of("r1"), ids(), "only the running container is left");
        assertEquals(List.of("s-dead"), runtime.removedSandboxes, "the ready sandbox stays");
        assertEquals(4, r.containersRemoved());
    }

    @Test
    void beforeEverySourceIsReadNoPodIsGone() throws IOException {
        sourcesReady = false;
        own("u1");
        runtime.sandbox("s", "u1", SANDBOX_NOTREADY);
        runtime.container("c1", "s", "u1", "app", CONTAINER_EXITED);
        runtime.container("c2", "s", "u1", "app", CONTAINER_EXITED);

        gc().collect();

        assertEquals(List.of("c1"), runtime.removedContainers, "pruned as a pod of ours, not removed as gone");
        assertEquals(List.of(), runtime.removedSandboxes);
    }

    @Test
    void podsOfAnotherOwnerAreLeftAloneDeadOrAlive() throws IOException {
        runtime.sandbox("s", "theirs", SANDBOX_NOTREADY);
        runtime.container("t1", "s", "theirs", "app", CONTAINER_EXITED);
        runtime.container("t2", "s", "theirs", "app", CONTAINER_EXITED);
        runtime.container("t3", "s", "theirs", "app", CONTAINER_EXITED);

        ContainerGarbageCollector.Result r = gc().collect();

        assertEquals(List.of(), runtime.removedContainers);
        assertEquals(List.of(), runtime.removedSandboxes);
        assertEquals(1, r.foreignPodsLeft());
    }

    @Test
    void containersWithoutAPodUidAreNeverTouched() throws IOException {
        runtime.container("plain1", "", null, "x", CONTAINER_EXITED);
        runtime.container("plain2", "", null, "x", CONTAINER_EXITED);

        gc().collect();

        assertEquals(List.of(), runtime.removedContainers);
    }

    @Test
    void removedContainersTakeTheirLogFilesWithThem() throws IOException {
        known.add("u1");
        Path dir = Files.createDirectories(logsDir().resolve("default_pod-u1_u1/app"));
        Path oldLog = Files.writeString(dir.resolve("0.log"), "old\n");
        Path rotated = Files.writeString(dir.resolve("0.log.20260101-000000"), "older\n");
        Path keptLog = Files.writeString(dir.resolve("1.log"), "last\n");
        runtime.sandbox("s", "u1", SANDBOX_READY);
        runtime.container("c0", "s", "u1", "app", CONTAINER_EXITED);
        runtime.container("c1", "s", "u1", "app", CONTAINER_EXITED);
        runtime.logPaths.put("c0", oldLog.toString());
        runtime.logPaths.put("c1", keptLog.toString());

        gc().collect();

        assertFalse(Files.exists(oldLog));
        assertFalse(Files.exists(rotated), "rotated files of the removed container go too");
        assertTrue(Files.exists(keptLog), "previous logs of the kept instance stay");
    }

    @Test
    void podLogDirectoriesGoOnlyForPodsThatAreGoneAndOursOrEmptyAndSettled() throws IOException {
        Path logs = logsDir();
        known.add("known");
        Path ofKnown = withFile(logs.resolve("default_a_known"));
        own("gone");
        Path ofGoneOurs = withFile(logs.resolve("default_b_gone"));
        Path ofStranger = withFile(logs.resolve("default_c_stranger"));
        Path emptyOld = Files.createDirectories(logs.resolve("default_d_emptyold/app"));
        Files.setLastModifiedTime(emptyOld.getParent(), FileTime.from(clock.instant().minus(Duration.ofMinutes(5))));
        Path emptyNew = Files.createDirectories(logs.resolve("default_e_emptynew"));
        own("inruntime");
        Path ofRuntimePod = withFile(logs.resolve("default_f_inruntime"));
        runtime.sandbox("s", "inruntime", SANDBOX_READY);
        runtime.container("r", "s", "inruntime", "app", CONTAINER_RUNNING);

        ContainerGarbageCollector.Result r = gc().collect();

        assertTrue(Files.exists(ofKnown), "a known pod's logs stay");
        assertFalse(Files.exists(ofGoneOurs), "a gone pod of ours loses its logs");
        assertTrue(Files.exists(ofStranger), "logs of a pod we do not own stay");
        assertFalse(Files.exists(emptyOld.getParent()), "an old empty dir goes");
        assertTrue(Files.exists(emptyNew), "a fresh empty dir may be another kubelet's pod being made");
        assertTrue(Files.exists(ofRuntimePod), "a pod still in the runtime keeps its logs");
        assertEquals(2, r.logDirsRemoved());
    }

    @Test
    void noLogDirectoryGoesBeforeEverySourceIsRead() throws IOException {
        sourcesReady = false;
        own("gone");
        Path dir = withFile(logsDir().resolve("default_b_gone"));

        gc().collect();

        assertTrue(Files.exists(dir));
    }

    @Test
    void aGoneDeadPodWholeIsRemovedThenItsLogDirInTheSamePass() throws IOException {
        own("u9");
        Path dir = withFile(logsDir().resolve("default_pod-u9_u9"));
        runtime.sandbox("s", "u9", SANDBOX_NOTREADY);
        runtime.container("c", "s", "u9", "app", CONTAINER_EXITED);

        ContainerGarbageCollector.Result r = gc().collect();

        assertEquals(List.of("c"), runtime.removedContainers);
        assertEquals(List.of("s"), runtime.removedSandboxes);
        assertFalse(Files.exists(dir));
        assertEquals(1, r.logDirsRemoved());
    }

    private Set<String> ids() {
        Set<String> out = new HashSet<>();
        runtime.containers.forEach(c -> out.add(c.getId()));
        return out;
    }

    private static Path withFile(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("app"));
        Files.writeString(dir.resolve("app/0.log"), "x\n");
        return dir;
    }
}
