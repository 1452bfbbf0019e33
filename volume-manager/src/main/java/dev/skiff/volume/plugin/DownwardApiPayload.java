package dev.skiff.volume.plugin;

import dev.skiff.volume.NodeResources;
import dev.skiff.volume.VolumeException;
import dev.skiff.volume.util.DownwardValues;
import dev.skiff.volume.util.FileProjection;
import io.fabric8.kubernetes.api.model.DownwardAPIVolumeFile;
import io.fabric8.kubernetes.api.model.DownwardAPIVolumeSource;
import io.fabric8.kubernetes.api.model.Pod;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The files of a downwardAPI volume or projection (upstream pkg/volume/downwardapi CollectData): each item is a
 * pod-metadata fieldRef or a container's resourceFieldRef, written as text.
 */
public final class DownwardApiPayload {
    private DownwardApiPayload() {
    }

    public static Map<String, FileProjection> forVolume(DownwardAPIVolumeSource source, Pod pod, NodeResources node)
            throws VolumeException {
        int defaultMode = Payloads.mode(source.getDefaultMode(), Payloads.DEFAULT_MODE, "downwardAPI volume defaultMode");
        return collect(source.getItems(), pod, defaultMode, node);
    }

    /** Every item's value; all failing items are reported together, as upstream aggregates them. */
    static Map<String, FileProjection> collect(List<DownwardAPIVolumeFile> items, Pod pod, int defaultMode,
                                               NodeResources node) throws VolumeException {
        Map<String, FileProjection> payload = new LinkedHashMap<>();
        List<VolumeException> errors = new ArrayList<>();
        for (DownwardAPIVolumeFile item : items == null ? List.<DownwardAPIVolumeFile>of() : items) {
            try {
                int mode = Payloads.mode(item.getMode(), defaultMode, "downwardAPI item " + item.getPath());
                payload.put(item.getPath(), Payloads.file(value(item, pod, node).getBytes(StandardCharsets.UTF_8), mode));
            } catch (VolumeException e) {
                errors.add(e);
            }
        }
        if (!errors.isEmpty()) {
            throw Payloads.aggregate(errors);
        }
        return payload;
    }

    private static String value(DownwardAPIVolumeFile item, Pod pod, NodeResources node) throws VolumeException {
        boolean field = item.getFieldRef() != null;
        boolean resource = item.getResourceFieldRef() != null;
        if (field == resource) {
            throw new VolumeException("downwardAPI item " + item.getPath()
                    + ": must specify exactly one of fieldRef and resourceFieldRef");
        }
        if (field) {
            String path = item.getFieldRef().getFieldPath();
            if (!DownwardValues.isMetadataPath(path)) {
                // API validation's list for volumes: spec.* and status.* are env-only
                throw new VolumeException("downwardAPI item " + item.getPath() + ": fieldPath \"" + path
                        + "\" is not supported in a volume (metadata.name, metadata.namespace, metadata.uid,"
                        + " metadata.labels, metadata.annotations and their ['key'] forms are)");
            }
            return DownwardValues.fieldRef(item.getFieldRef(), pod);
        }
        var ref = item.getResourceFieldRef();
        if (ref.getContainerName() == null || ref.getContainerName().isEmpty()) {
            throw new VolumeException("downwardAPI item " + item.getPath() + ": resourceFieldRef " + ref.getResource()
                    + " needs a containerName in a volume");
        }
        return DownwardValues.resourceField(ref, pod, null, node);
    }
}
