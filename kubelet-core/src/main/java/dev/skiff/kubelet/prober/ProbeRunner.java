package dev.skiff.kubelet.prober;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;

import java.util.concurrent.CompletableFuture;

/**
 * Runs one probe of a container once (upstream's prober.probe). Completes with the verdict, or exceptionally when
 * the probe could not run at all (upstream: the probe errored; its result is thrown away). Never blocks.
 */
@FunctionalInterface
public interface ProbeRunner {
    CompletableFuture<Verdict> probe(ProbeType type, Pod pod, PodStatus status, Container container,
                                     String containerId);

    /**
     * @param passed whether the probe passed (success or warning)
     * @param output the handler's output: for a failure, upstream's message after "Liveness probe failed: "
     */
    record Verdict(boolean passed, String output) {
    }
}
