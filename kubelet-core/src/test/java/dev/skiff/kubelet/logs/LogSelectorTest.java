package dev.skiff.kubelet.logs;

import dev.skiff.kubelet.server.Endpoint;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class LogSelectorTest {
    private static Pod pod(ContainerStatus... statuses) {
        return new PodBuilder().withNewMetadata().withName("web").withNamespace("ns").withUid("u1").endMetadata()
                .withNewSpec().addNewInitContainer().withName("setup").endInitContainer()
                .addNewContainer().withName("app").endContainer().endSpec()
                .withNewStatus().withContainerStatuses(statuses).endStatus().build();
    }

    private static ContainerStatusBuilder app(String id) {
        return new ContainerStatusBuilder().withName("app").withContainerID(id);
    }

    @Test
    void runningIsTheCurrentInstanceAndPreviousTheLastTerminatedOne() throws Exception {
        Pod p = pod(app("docker://new").withNewState().withNewRunning().endRunning().endState()
                .withNewLastState().withNewTerminated().withContainerID("docker://old").endTerminated().endLastState().build());
        assertEquals(new LogSelector.Selected(p, "app", "new", true), LogSelector.select(p, "app", false));
        assertEquals(new LogSelector.Selected(p, "app", "old", false), LogSelector.select(p, "app", true));
    }

    @Test
    void waitingInBackOffShowsTheLastTerminatedInstanceEitherWay() throws Exception {
        Pod p = pod(app("").withNewState().withNewWaiting().withReason("CrashLoopBackOff").endWaiting().endState()
                .withNewLastState().withNewTerminated().withContainerID("docker://old").endTerminated().endLastState().build());
        assertEquals(new LogSelector.Selected(p, "app", "old", true), LogSelector.select(p, "app", false));
        assertEquals(new LogSelector.Selected(p, "app", "old", true), LogSelector.select(p, "app", true));
    }

    @Test
    void upstreamsMessagesForWhatHasNoLog() {
        Pod waiting = pod(app("").withNewState().withNewWaiting().withReason("ImagePullBackOff").endWaiting().endState().build());
        assertEquals("container \"app\" in pod \"web\" is waiting to start: trying and failing to pull image",
                assertThrows(Endpoint.BadRequestException.class, () -> LogSelector.select(waiting, "app", false)).getMessage());
        assertEquals("previous terminated container \"app\" in pod \"web\" not found",
                assertThrows(Endpoint.BadRequestException.class, () -> LogSelector.select(waiting, "app", true)).getMessage());
        assertEquals("container \"setup\" in pod \"web\" is not available",
                assertThrows(Endpoint.BadRequestException.class, () -> LogSelector.select(waiting, "setup", false)).getMessage());
        assertEquals("container \"db\" not found in pod \"web\"",
                assertThrows(Endpoint.NotFoundException.class, () -> LogSelector.select(waiting, "db", false)).getMessage());
        assertEquals("pod \"api\" does not exist",
                assertThrows(Endpoint.NotFoundException.class, () -> LogSelector.pod(List.of(waiting), "ns", "api")).getMessage());
        assertThrows(Endpoint.NotFoundException.class, () -> LogSelector.pod(List.of(waiting), "other", "web"));
    }
}
