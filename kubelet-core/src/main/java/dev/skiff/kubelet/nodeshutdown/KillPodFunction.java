package dev.skiff.kubelet.nodeshutdown;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/** Upstream eviction.KillPodFunc: stop a pod now, with a grace period, and adjust its final status. */
@FunctionalInterface
public interface KillPodFunction {
    /**
     * Starts stopping the pod within {@code gracePeriod} (never longer than its own); the result completes once it
     * is stopped and {@code statusFn} has been applied to its status. Holds no thread while it waits.
     *
     * @return fails with a TimeoutException when the pod was not stopped in time (upstream: max(10 s, 1.5 × grace))
     */
    CompletableFuture<Void> killPod(Pod pod, Duration gracePeriod, Consumer<PodStatus> statusFn);
}
