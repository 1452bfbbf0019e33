package dev.skiff.kubelet.kuberuntime.actions;

import dev.skiff.kubelet.prober.ProbeType;
import dev.skiff.kubelet.prober.results.ProbeResult;

import java.util.Optional;

/**
 * The prober's cached results as computePodActions reads upstream's liveness and startup managers: a failed liveness
 * or startup probe has its container killed, and a sidecar's startup probe gates the next init container.
 */
@FunctionalInterface
public interface ProbeResults {
    /** Nothing probed: no container has a cached result. */
    ProbeResults NONE = (type, containerId) -> Optional.empty();

    /** The cached result of the {@code type} probe of one container instance; empty when it has none yet. */
    Optional<ProbeResult> get(ProbeType type, String containerId);

    /** Whether the {@code type} probe of the instance has failed. */
    default boolean failed(ProbeType type, String containerId) {
        return get(type, containerId).orElse(null) == ProbeResult.FAILURE;
    }
}
