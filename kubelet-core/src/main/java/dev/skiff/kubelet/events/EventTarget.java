package dev.skiff.kubelet.events;

import io.fabric8.kubernetes.api.model.Pod;

/**
 * What an event is about (core/v1 ObjectReference): always a pod here, with a {@code fieldPath} naming the container
 * when the event is about one ({@code spec.containers{web}}, {@code spec.initContainers{setup}}), as upstream's
 * container references.
 */
public record EventTarget(String namespace, String name, String uid, String fieldPath) {
    public EventTarget {
        fieldPath = fieldPath == null ? "" : fieldPath;
    }

    public static EventTarget pod(Pod pod) {
        var m = pod.getMetadata();
        return new EventTarget(m.getNamespace(), m.getName(), m.getUid(), "");
    }

    /** The container named {@code container} of {@code pod}: an init container when the spec lists it so. */
    public static EventTarget container(Pod pod, String container) {
        boolean init = pod.getSpec() != null && pod.getSpec().getInitContainers() != null
                && pod.getSpec().getInitContainers().stream().anyMatch(c -> container.equals(c.getName()));
        String path = (init ? "spec.initContainers{" : "spec.containers{") + container + "}";
        var m = pod.getMetadata();
        return new EventTarget(m.getNamespace(), m.getName(), m.getUid(), path);
    }

    /** {@code namespace/name}, how {@code /events?pod=} selects. */
    public String podKey() {
        return namespace + "/" + name;
    }
}
