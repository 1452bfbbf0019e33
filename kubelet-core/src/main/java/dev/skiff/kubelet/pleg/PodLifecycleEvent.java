package dev.skiff.kubelet.pleg;

import java.util.Objects;

/**
 * One PLEG event: for pod {@code podUid}, container (or sandbox) {@code data} changed as {@code type} says.
 * Sandbox ids are reported like container ids, as upstream does.
 */
public record PodLifecycleEvent(String podUid, PodLifecycleEventType type, String data) {
    public PodLifecycleEvent {
        Objects.requireNonNull(podUid, "podUid");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
    }
}
