package dev.skiff.kubelet.kuberuntime.manager;

import dev.skiff.cri.v1.Image;
import dev.skiff.cri.v1.ImageStatusResponse;
import dev.skiff.cri.v1.Int64Value;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The image user upstream's getImageUser reads: uid, else name, else root. */
class ImageUserTest {
    @Test
    void uidThenNameThenRoot() {
        assertEquals(new ImageUser(Optional.of(1000L), ""), ImageUser.from(ImageStatusResponse.newBuilder()
                .setImage(Image.newBuilder().setId("sha256:a").setUid(Int64Value.newBuilder().setValue(1000))).build()));
        assertEquals(new ImageUser(Optional.empty(), "nobody"), ImageUser.from(ImageStatusResponse.newBuilder()
                .setImage(Image.newBuilder().setId("sha256:a").setUsername("nobody")).build()));
        assertEquals(ImageUser.ROOT, ImageUser.from(ImageStatusResponse.newBuilder()
                .setImage(Image.newBuilder().setId("sha256:a")).build()), "an image without USER runs as root");
        assertEquals(ImageUser.ROOT, ImageUser.from(ImageStatusResponse.getDefaultInstance()), "an absent image: treated as root, as upstream");
    }
}
