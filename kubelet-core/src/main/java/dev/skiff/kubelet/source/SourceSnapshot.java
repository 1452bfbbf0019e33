package dev.skiff.kubelet.source;

import dev.skiff.kubelet.pod.ManifestException;
import io.fabric8.kubernetes.api.model.HasMetadata;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything one source holds at one moment (upstream's SET update): its pods, the other objects its files
 * define, and the files it could not use. Objects are shared: treat them as read-only.
 */
public record SourceSnapshot(String source, List<SourcePod> pods, List<HasMetadata> objects,
                             Map<Path, ManifestException> errors) {
    public SourceSnapshot {
        Objects.requireNonNull(source, "source");
        pods = List.copyOf(pods);
        objects = List.copyOf(objects);
        errors = Collections.unmodifiableMap(new LinkedHashMap<>(errors));
    }
}
