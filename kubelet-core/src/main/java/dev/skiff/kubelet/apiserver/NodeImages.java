package dev.skiff.kubelet.apiserver;

import dev.skiff.cri.v1.Image;
import dev.skiff.cri.v1.ListImagesResponse;
import io.fabric8.kubernetes.api.model.ContainerImage;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** status.images as upstream's images setter makes it: largest first, at most nodeStatusMaxImages (50), digests then tags. */
public final class NodeImages {
    static final int MAX_IMAGES = 50;

    private NodeImages() {}

    public static List<ContainerImage> from(ListImagesResponse images) {
        List<Image> sorted = new ArrayList<>(images.getImagesList());
        sorted.sort(Comparator.comparingLong(Image::getSize).reversed());
        List<ContainerImage> out = new ArrayList<>();
        for (Image i : sorted) {
            List<String> names = new ArrayList<>(i.getRepoDigestsList());
            names.addAll(i.getRepoTagsList());
            if (names.isEmpty()) {
                continue; // upstream lists only named images
            }
            out.add(new ContainerImage(names, i.getSize()));
            if (out.size() == MAX_IMAGES) {
                break;
            }
        }
        return out;
    }
}
