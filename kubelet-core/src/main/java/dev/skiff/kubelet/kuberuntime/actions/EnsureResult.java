package dev.skiff.kubelet.kuberuntime.actions;

import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of {@link ImagePuller#ensure}: the image ref to create the container from, or the waiting reason
 * (upstream's ErrImagePull, ImagePullBackOff, ErrImageNeverPull, InvalidImageName, ImageInspectError) and
 * message for the container's status.
 */
public record EnsureResult(Optional<String> imageRef, String reason, String message) {
    public static final String ERR_IMAGE_PULL = "ErrImagePull";
    public static final String IMAGE_PULL_BACK_OFF = "ImagePullBackOff";
    public static final String ERR_IMAGE_NEVER_PULL = "ErrImageNeverPull";
    public static final String INVALID_IMAGE_NAME = "InvalidImageName";
    public static final String IMAGE_INSPECT_ERROR = "ImageInspectError";

    public EnsureResult {
        Objects.requireNonNull(imageRef);
        Objects.requireNonNull(reason);
        Objects.requireNonNull(message);
    }

    static EnsureResult ok(String imageRef, String message) {
        return new EnsureResult(Optional.of(imageRef), "", message);
    }

    static EnsureResult failed(String reason, String message) {
        return new EnsureResult(Optional.empty(), reason, message);
    }

    /** True when the image is there to use. */
    public boolean ok() {
        return imageRef.isPresent();
    }
}
