package dev.skiff.kubelet.source;

import io.fabric8.kubernetes.api.model.Pod;

import java.nio.file.Path;
import java.util.Objects;

/** A static pod and the manifest file it came from. The pod is shared: treat it as read-only. */
public record SourcePod(Path file, Pod pod) {
    public SourcePod {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(pod, "pod");
    }
}
