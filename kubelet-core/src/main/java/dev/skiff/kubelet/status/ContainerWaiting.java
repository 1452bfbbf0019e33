package dev.skiff.kubelet.status;

import java.util.Objects;

/**
 * Why the sync could not (yet) start a container: becomes its {@code state.waiting} (upstream reasonCache).
 *
 * @param reason  CamelCase reason, e.g. CrashLoopBackOff, ErrImagePull, ImagePullBackOff, ErrImageNeverPull,
 *                CreateContainerConfigError, CreateContainerError, RunContainerError
 * @param message human-readable detail ("" when none)
 */
public record ContainerWaiting(String reason, String message) {
    public static final String CONTAINER_CREATING = "ContainerCreating";
    public static final String POD_INITIALIZING = "PodInitializing";
    public static final String CRASH_LOOP_BACK_OFF = "CrashLoopBackOff";
    public static final String ERR_IMAGE_PULL = "ErrImagePull";
    public static final String IMAGE_PULL_BACK_OFF = "ImagePullBackOff";
    public static final String ERR_IMAGE_NEVER_PULL = "ErrImageNeverPull";

    public ContainerWaiting {
        Objects.requireNonNull(reason, "reason");
        message = message == null ? "" : message;
    }
}
