package dev.skiff.kubelet.metrics;

import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.kubelet.pleg.RuntimePod;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertTrue;

class RunningPodsTest {
    private static PodSandbox sandbox(PodSandboxState state) {
        return PodSandbox.newBuilder().setState(state).build();
    }

    private static Container container(ContainerState state) {
        return Container.newBuilder().setState(state).build();
    }

    @Test
    void countedFromTheLatestRelistWhenScraped() {
        AtomicReference<Map<String, RuntimePod>> pods = new AtomicReference<>(Map.of());
        KubeletMetrics metrics = KubeletMetrics.create("n", pods::get);
        pods.set(Map.of(
                // an old sandbox that exited beside the ready one: the pod counts once
                "a", new RuntimePod("a", "a", "ns", List.of(sandbox(PodSandboxState.SANDBOX_READY),
                        sandbox(PodSandboxState.SANDBOX_NOTREADY)), List.of(container(ContainerState.CONTAINER_RUNNING),
                        container(ContainerState.CONTAINER_EXITED))),
                "b", new RuntimePod("b", "b", "ns", List.of(sandbox(PodSandboxState.SANDBOX_READY)),
                        List.of(container(ContainerState.CONTAINER_RUNNING), container(ContainerState.CONTAINER_CREATED))),
                "c", new RuntimePod("c", "c", "ns", List.of(sandbox(PodSandboxState.SANDBOX_NOTREADY)),
                        List.of(container(ContainerState.CONTAINER_UNKNOWN)))));
        String t = MetricsText.of(metrics.registry());
        for (String line : List.of("# HELP kubelet_running_pods Number of pods that have a running pod sandbox",
                "kubelet_running_pods 2.0",
                "# HELP kubelet_running_containers Number of containers currently running",
                "kubelet_running_containers{container_state=\"running\"} 2.0",
                "kubelet_running_containers{container_state=\"exited\"} 1.0",
                "kubelet_running_containers{container_state=\"created\"} 1.0",
                "kubelet_running_containers{container_state=\"unknown\"} 1.0")) {
            assertTrue(t.contains(line + "\n"), line + "\n---\n" + t);
        }
        pods.set(Map.of());
        t = MetricsText.of(metrics.registry());
        assertTrue(t.contains("kubelet_running_pods 0.0\n") && t.contains(
                "kubelet_running_containers{container_state=\"running\"} 0.0\n"), "nothing kept between scrapes\n" + t);
    }
}
