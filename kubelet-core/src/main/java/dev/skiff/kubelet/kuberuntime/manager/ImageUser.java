package dev.skiff.kubelet.kuberuntime.manager;

import dev.skiff.cri.ImageService;
import dev.skiff.cri.v1.ImageSpec;
import dev.skiff.cri.v1.ImageStatusRequest;
import dev.skiff.cri.v1.ImageStatusResponse;

import java.util.Optional;

/**
 * The user an image runs as, as upstream's getImageUser reads it from ImageStatus: its uid, else
 * its user name, else root (uid 0). The kubelet sends it as run_as_user / run_as_username when the
 * pod sets none, so runAsNonRoot can be checked and a runAsGroup never travels without a user
 * (which runtimes refuse).
 *
 * @param uid      the numeric user; empty when the image names its user
 * @param username the user's name, "" when numeric
 */
record ImageUser(Optional<Long> uid, String username) {
    static final ImageUser ROOT = new ImageUser(Optional.of(0L), "");

    static ImageUser of(ImageService images, String imageRef) {
        return from(images.imageStatus(ImageStatusRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(imageRef)).build()));
    }

    static ImageUser from(ImageStatusResponse status) {
        if (status.hasImage()) {
            if (status.getImage().hasUid()) {
                return new ImageUser(Optional.of(status.getImage().getUid().getValue()), "");
            }
            if (!status.getImage().getUsername().isEmpty()) {
                return new ImageUser(Optional.empty(), status.getImage().getUsername());
            }
        }
        return ROOT;
    }
}
