package dev.skiff.volume.subpath;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One volumeMount with a subPath (upstream subpath.Subpath).
 *
 * @param volumePath    the volume's directory on the host
 * @param subPath       the subPath as the container spec gives it (after subPathExpr expansion): relative, no ".."
 * @param podDir        the pod's directory ({@code <root>/pods/<uid>})
 * @param volumeName    the pod's name for the volume
 * @param containerName the container that mounts it
 * @param index         the volumeMount's index in the container's list
 */
public record SubPathRequest(Path volumePath, String subPath, Path podDir, String volumeName, String containerName,
                             int index) {
    public SubPathRequest {
        Objects.requireNonNull(volumePath, "volumePath");
        Objects.requireNonNull(subPath, "subPath");
        Objects.requireNonNull(podDir, "podDir");
        Objects.requireNonNull(volumeName, "volumeName");
        Objects.requireNonNull(containerName, "containerName");
    }
}
