package dev.skiff.kubelet.server;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class PodTableTest {
    private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");

    private static PodBuilder pod(String name, String phase, String created, String... containers) {
        PodBuilder b = new PodBuilder().withNewMetadata().withName(name).withNamespace("default")
                .withCreationTimestamp(created).endMetadata().withNewSpec().endSpec().withNewStatus().withPhase(phase).endStatus();
        for (String c : containers) {
            b.editSpec().addNewContainer().withName(c).withImage("busybox").endContainer().endSpec();
        }
        return b;
    }

    private static ContainerStatus running(String name, boolean ready, int restarts) {
        return new ContainerStatusBuilder().withName(name).withReady(ready).withRestartCount(restarts)
                .withNewState().withNewRunning("2026-11-24T11:00:00Z").endState().build();
    }

    @Test
    void runningReadyPod() {
        Pod p = pod("web-node-a", "Running", "2026-11-24T11:56:40Z", "app").editStatus()
                .withContainerStatuses(running("app", true, 0))
                .withConditions(new PodConditionBuilder().withType("Ready").withStatus("True").build()).endStatus().build();
        assertArrayEquals(new String[]{"web-node-a", "1/1", "Running", "0", "3m20s"}, PodTable.row(p, NOW));
    }

    @Test
    void crashLoopBackOffWithRestartsAgo() {
        Pod p = pod("crash-node-a", "Running", "2026-11-24T10:00:00Z", "app").editStatus()
                .withContainerStatuses(new ContainerStatusBuilder().withName("app").withReady(false).withRestartCount(4)
                        .withNewState().withNewWaiting("back-off 1m20s restarting failed container", "CrashLoopBackOff").endState()
                        .withNewLastState().withNewTerminated().withExitCode(1).withReason("Error")
                        .withFinishedAt("2026-11-24T11:59:15Z").endTerminated().endLastState().build())
                .endStatus().build();
        assertArrayEquals(new String[]{"crash-node-a", "0/1", "CrashLoopBackOff", "4 (45s ago)", "120m"}, PodTable.row(p, NOW));
    }

    @Test
    void completedPod() {
        Pod p = pod("job-node-a", "Succeeded", "2026-11-20T12:00:00Z", "app").editStatus()
                .withContainerStatuses(new ContainerStatusBuilder().withName("app").withReady(false).withRestartCount(0)
                        .withNewState().withNewTerminated().withExitCode(0).withReason("Completed").endTerminated().endState().build())
                .endStatus().build();
        assertArrayEquals(new String[]{"job-node-a", "0/1", "Completed", "0", "4d"}, PodTable.row(p, NOW));
    }

    @Test
    void completedContainerBesideARunningOne() {
        ContainerStatus done = new ContainerStatusBuilder().withName("a").withReady(false).withRestartCount(0)
                .withNewState().withNewTerminated().withExitCode(0).withReason("Completed").endTerminated().endState().build();
        Pod notReady = pod("mix", "Running", "2026-11-24T11:59:55Z", "a", "b").editStatus()
                .withContainerStatuses(done, running("b", true, 0)).endStatus().build();
        assertArrayEquals(new String[]{"mix", "1/2", "NotReady", "0", "5s"}, PodTable.row(notReady, NOW));
    }

    @Test
    void terminatedWithoutReasonShowsExitCode() {
        Pod p = pod("x", "Failed", "2026-11-24T11:00:00Z", "app").editStatus()
                .withContainerStatuses(new ContainerStatusBuilder().withName("app").withReady(false).withRestartCount(0)
                        .withNewState().withNewTerminated().withExitCode(3).endTerminated().endState().build())
                .endStatus().build();
        assertEquals("ExitCode:3", PodTable.row(p, NOW)[2]);
    }

    @Test
    void pendingPodWithoutStatusesAndRejectedPodReason() {
        Pod pending = pod("new", "Pending", "2026-11-24T11:59:58Z", "a", "b").build();
        assertArrayEquals(new String[]{"new", "0/2", "Pending", "0", "2s"}, PodTable.row(pending, NOW));
        Pod creating = pod("new", "Pending", null, "app").editStatus()
                .withStartTime("2026-11-24T11:59:00Z")
                .withContainerStatuses(new ContainerStatusBuilder().withName("app").withReady(false).withRestartCount(0)
                        .withNewState().withNewWaiting(null, "ContainerCreating").endState().build()).endStatus().build();
        assertArrayEquals(new String[]{"new", "0/1", "ContainerCreating", "0", "60s"}, PodTable.row(creating, NOW));
        Pod rejected = pod("sel", "Failed", "2026-11-24T11:00:00Z", "app").editStatus().withReason("NodeAffinity").endStatus().build();
        assertEquals("NodeAffinity", PodTable.row(rejected, NOW)[2]);
    }

    @Test
    void initContainerProgress() {
        PodBuilder b = pod("init", "Pending", "2026-11-24T11:00:00Z", "app").editSpec()
                .addNewInitContainer().withName("i1").endInitContainer().addNewInitContainer().withName("i2").endInitContainer().endSpec();
        ContainerStatus i1Done = new ContainerStatusBuilder().withName("i1").withRestartCount(0)
                .withNewState().withNewTerminated().withExitCode(0).withReason("Completed").endTerminated().endState().build();
        ContainerStatus i2Running = new ContainerStatusBuilder().withName("i2").withRestartCount(0)
                .withNewState().withNewRunning("2026-11-24T11:00:00Z").endState().build();
        assertEquals("Init:1/2", PodTable.row(b.editStatus().withInitContainerStatuses(i1Done, i2Running).endStatus().build(), NOW)[2]);
        ContainerStatus i2Pull = new ContainerStatusBuilder().withName("i2").withRestartCount(0)
                .withNewState().withNewWaiting("x", "ErrImagePull").endState().build();
        assertEquals("Init:ErrImagePull", PodTable.row(b.editStatus().withInitContainerStatuses(i1Done, i2Pull).endStatus().build(), NOW)[2]);
        ContainerStatus i2Failed = new ContainerStatusBuilder().withName("i2").withRestartCount(0)
                .withNewState().withNewTerminated().withExitCode(1).withReason("Error").endTerminated().endState().build();
        assertEquals("Init:Error", PodTable.row(b.editStatus().withInitContainerStatuses(i1Done, i2Failed).endStatus().build(), NOW)[2]);
    }

    @Test
    void sidecarsCountInReadyAndInitProgress() {
        PodBuilder b = pod("side", "Pending", "2026-11-24T11:00:00Z", "app").editSpec()
                .addNewInitContainer().withName("proxy").withRestartPolicy("Always").endInitContainer()
                .addNewInitContainer().withName("setup").endInitContainer().endSpec();
        ContainerStatus proxyWaiting = new ContainerStatusBuilder().withName("proxy").withReady(false).withStarted(false)
                .withRestartCount(0).withNewState().withNewWaiting(null, "PodInitializing").endState().build();
        ContainerStatus setupWaiting = new ContainerStatusBuilder().withName("setup").withReady(false).withRestartCount(0)
                .withNewState().withNewWaiting(null, "PodInitializing").endState().build();
        assertArrayEquals(new String[]{"side", "0/2", "Init:0/2", "0", "60m"},
                PodTable.row(b.editStatus().withInitContainerStatuses(proxyWaiting, setupWaiting).endStatus().build(), NOW));

        ContainerStatus proxyStarted = new ContainerStatusBuilder().withName("proxy").withReady(true).withStarted(true)
                .withRestartCount(0).withNewState().withNewRunning("2026-11-24T11:00:00Z").endState().build();
        ContainerStatus setupRunning = new ContainerStatusBuilder().withName("setup").withReady(false).withRestartCount(0)
                .withNewState().withNewRunning("2026-11-24T11:00:01Z").endState().build();
        assertArrayEquals(new String[]{"side", "1/2", "Init:1/2", "0", "60m"},
                PodTable.row(b.editStatus().withInitContainerStatuses(proxyStarted, setupRunning).endStatus().build(), NOW),
                "a started sidecar is past, and counts as ready");

        ContainerStatus proxyNotStarted = new ContainerStatusBuilder(proxyStarted).withStarted(false).withReady(false).build();
        assertEquals("Init:0/2", PodTable.row(b.editStatus().withInitContainerStatuses(proxyNotStarted, setupWaiting)
                .endStatus().build(), NOW)[2], "a sidecar whose startup probe has not passed holds the pod at 0/2");

        ContainerStatus setupCrashing = new ContainerStatusBuilder().withName("setup").withReady(false).withRestartCount(2)
                .withNewState().withNewWaiting("back-off 20s restarting failed container=setup", "CrashLoopBackOff").endState()
                .withNewLastState().withNewTerminated().withExitCode(1).withReason("Error")
                .withFinishedAt("2026-11-24T11:59:30Z").endTerminated().endLastState().build();
        assertArrayEquals(new String[]{"side", "1/2", "Init:CrashLoopBackOff", "2 (30s ago)", "60m"},
                PodTable.row(b.editStatus().withInitContainerStatuses(proxyStarted, setupCrashing).endStatus().build(), NOW));

        ContainerStatus setupDone = new ContainerStatusBuilder().withName("setup").withReady(true).withRestartCount(0)
                .withNewState().withNewTerminated().withExitCode(0).withReason("Completed").endTerminated().endState().build();
        ContainerStatus appWaiting = new ContainerStatusBuilder().withName("app").withReady(false).withRestartCount(0)
                .withNewState().withNewWaiting(null, "PodInitializing").endState().build();
        assertArrayEquals(new String[]{"side", "1/2", "PodInitializing", "0", "60m"},
                PodTable.row(b.editStatus().withInitContainerStatuses(proxyStarted, setupDone)
                        .withContainerStatuses(appWaiting).endStatus().build(), NOW));
    }

    @Test
    void aCompletedJobWithAStoppedSidecar() {
        Pod p = pod("job", "Succeeded", "2026-11-24T11:00:00Z", "app").editSpec()
                .addNewInitContainer().withName("proxy").withRestartPolicy("Always").endInitContainer().endSpec()
                .editStatus()
                .withInitContainerStatuses(new ContainerStatusBuilder().withName("proxy").withReady(false).withStarted(false)
                        .withRestartCount(1).withNewState().withNewTerminated().withExitCode(143).withReason("Error")
                        .endTerminated().endState().withNewLastState().withNewTerminated().withExitCode(1)
                        .withFinishedAt("2026-11-24T11:30:00Z").endTerminated().endLastState().build())
                .withContainerStatuses(new ContainerStatusBuilder().withName("app").withReady(false).withRestartCount(0)
                        .withNewState().withNewTerminated().withExitCode(0).withReason("Completed").endTerminated().endState().build())
                .withConditions(new PodConditionBuilder().withType("Initialized").withStatus("True").withReason("PodCompleted").build())
                .endStatus().build();
        assertArrayEquals(new String[]{"job", "0/2", "Completed", "1 (30m ago)", "60m"}, PodTable.row(p, NOW),
                "the app's state, not the stopped sidecar's; the sidecar's restarts count");
    }

    @Test
    void terminatingPod() {
        Pod p = pod("bye", "Running", "2026-11-24T11:00:00Z", "app").editMetadata().withDeletionTimestamp("2026-11-24T11:59:00Z")
                .endMetadata().editStatus().withContainerStatuses(running("app", true, 0)).endStatus().build();
        assertEquals("Terminating", PodTable.row(p, NOW)[2]);
    }

    @Test
    void humanDurationAsKubectl() {
        assertEquals("0s", PodTable.humanDuration(Duration.ofMillis(-1500)));
        assertEquals("<invalid>", PodTable.humanDuration(Duration.ofSeconds(-5)));
        assertEquals("5s", PodTable.humanDuration(Duration.ofSeconds(5)));
        assertEquals("119s", PodTable.humanDuration(Duration.ofSeconds(119)));
        assertEquals("2m", PodTable.humanDuration(Duration.ofSeconds(120)));
        assertEquals("3m20s", PodTable.humanDuration(Duration.ofSeconds(200)));
        assertEquals("15m", PodTable.humanDuration(Duration.ofMinutes(15).plusSeconds(30)));
        assertEquals("179m", PodTable.humanDuration(Duration.ofMinutes(179)));
        assertEquals("3h", PodTable.humanDuration(Duration.ofHours(3)));
        assertEquals("150m", PodTable.humanDuration(Duration.ofMinutes(150)));
        assertEquals("3h30m", PodTable.humanDuration(Duration.ofMinutes(210)));
        assertEquals("7h59m", PodTable.humanDuration(Duration.ofMinutes(479)));
        assertEquals("10h", PodTable.humanDuration(Duration.ofHours(10).plusMinutes(5)));
        assertEquals("3d4h", PodTable.humanDuration(Duration.ofHours(76)));
        assertEquals("4d", PodTable.humanDuration(Duration.ofDays(4)));
        assertEquals("30d", PodTable.humanDuration(Duration.ofDays(30)));
        assertEquals("2y10d", PodTable.humanDuration(Duration.ofDays(740)));
        assertEquals("9y", PodTable.humanDuration(Duration.ofDays(365 * 9 + 20)));
    }

    @Test
    void tableLayoutLikeKubectl() {
        Pod a = pod("web-node-a", "Running", "2026-11-24T11:56:40Z", "app").editStatus()
                .withContainerStatuses(running("app", true, 0)).endStatus().build();
        Pod b = pod("crash-looping-node-a", "Pending", "2026-11-24T11:59:55Z", "app").build();
        String expected = ""
                + "NAME                   READY   STATUS    RESTARTS   AGE\n"
                + "web-node-a             1/1     Running   0          3m20s\n"
                + "crash-looping-node-a   0/1     Pending   0          5s\n";
        assertEquals(expected, PodTable.format(List.of(a, b), NOW));
        assertEquals("No resources found\n", PodTable.format(List.of(), NOW));
    }
}
