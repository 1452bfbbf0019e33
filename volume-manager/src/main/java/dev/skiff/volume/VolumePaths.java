package dev.skiff.volume;

import java.nio.file.Path;
import java.util.Objects;

/** The kubelet's on-disk layout under {@code --root-dir}, exactly as upstream's. */
public record VolumePaths(Path rootDir) {
    public VolumePaths {
        rootDir = Objects.requireNonNull(rootDir, "rootDir").toAbsolutePath().normalize();
    }

    public Path podsDir() {
        return rootDir.resolve("pods");
    }

    /** {@code <root>/pods/<uid>} */
    public Path podDir(String podUid) {
        return podsDir().resolve(podUid);
    }

    /** {@code <root>/pods/<uid>/volumes} */
    public Path podVolumesDir(String podUid) {
        return podDir(podUid).resolve("volumes");
    }

    /** {@code <root>/pods/<uid>/volumes/kubernetes.io~empty-dir/<name>} for plugin {@code kubernetes.io/empty-dir}. */
    public Path volumeDir(String podUid, String pluginName, String volumeName) {
        return podVolumesDir(podUid).resolve(escapePluginName(pluginName)).resolve(volumeName);
    }

    /** {@code <root>/pods/<uid>/volumeDevices}: the pod's Block volumes, one symlink to its device each. */
    public Path podVolumeDevicesDir(String podUid) {
        return podDir(podUid).resolve("volumeDevices");
    }

    /** {@code <root>/pods/<uid>/volumeDevices/kubernetes.io~local-volume/<name>}, upstream's pod device map path. */
    public Path volumeDeviceLink(String podUid, String pluginName, String volumeName) {
        return podVolumeDevicesDir(podUid).resolve(escapePluginName(pluginName)).resolve(volumeName);
    }

    /** {@code <root>/pods/<uid>/volume-subpaths} */
    public Path podSubPathsDir(String podUid) {
        return podDir(podUid).resolve("volume-subpaths");
    }

    /** Upstream utilstrings.EscapeQualifiedName: {@code /} → {@code ~}. */
    public static String escapePluginName(String pluginName) {
        return pluginName.replace('/', '~');
    }

    /** The inverse of {@link #escapePluginName}. */
    public static String unescapePluginName(String dirName) {
        return dirName.replace('~', '/');
    }
}
