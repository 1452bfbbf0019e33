package dev.skiff.volume;

/**
 * Told when the reconciler has run one volume plugin operation, as upstream's OperationCompleteHook is: the kubelet
 * turns it into {@code storage_operation_duration_seconds}. Called on the reconciler thread: it must be quick.
 */
@FunctionalInterface
public interface VolumeOperationListener {
    /** Upstream's operation name for MountVolume.SetUp (also a remount that refreshes the content). */
    String VOLUME_MOUNT = "volume_mount";
    /** Upstream's operation name for UnmountVolume.TearDown. */
    String VOLUME_UNMOUNT = "volume_unmount";

    VolumeOperationListener NONE = (plugin, operation, succeeded, nanos) -> { };

    /**
     * @param pluginName    the plugin, e.g. {@code kubernetes.io/empty-dir}
     * @param operationName {@link #VOLUME_MOUNT} or {@link #VOLUME_UNMOUNT}
     * @param succeeded     false when the operation failed (it will be retried)
     * @param nanos         how long it took
     */
    void operationCompleted(String pluginName, String operationName, boolean succeeded, long nanos);
}
