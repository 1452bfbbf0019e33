package dev.skiff.kubelet.nodeshutdown;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;

import java.time.Duration;
import java.util.function.Consumer;

/** Upstream eviction.KillPodFunc: stop a pod now, with a grace period, and adjust its final status. */
@FunctionalInterface
public interface KillPodFunction {
    /**
     * Stops the pod within {@code gracePeriod} (never longer than its own) and applies {@code statusFn} to its
     * status; returns once it is stopped.
     *
     * @throws Exception when the pod was not stopped in time (upstream: max(10 s, 1.5 × grace)) or cannot be
     */
    void killPod(Pod pod, Duration gracePeriod, Consumer<PodStatus> statusFn) throws Exception;
}
