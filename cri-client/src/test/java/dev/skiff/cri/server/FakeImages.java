package dev.skiff.cri.server;

import dev.skiff.cri.CriErrors;
import dev.skiff.cri.ImageService;
import dev.skiff.cri.v1.*;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** In-memory images: "pulling" a name not starting with "absent" makes it present. */
final class FakeImages implements ImageService {
    final Map<String, Image> images = new ConcurrentHashMap<>();

    @Override
    public ListImagesResponse listImages(ListImagesRequest request) {
        return ListImagesResponse.newBuilder().addAllImages(images.values()).build();
    }

    @Override
    public ImageStatusResponse imageStatus(ImageStatusRequest request) {
        Image image = images.get(request.getImage().getImage());
        return image == null ? ImageStatusResponse.getDefaultInstance()
                : ImageStatusResponse.newBuilder().setImage(image).build();
    }

    @Override
    public PullImageResponse pullImage(PullImageRequest request) {
        String name = request.getImage().getImage();
        if (name.startsWith("absent")) {
            throw CriErrors.notFound("image %s not found in any registry", name);
        }
        String id = "sha256:" + Integer.toHexString(name.hashCode());
        images.put(name, Image.newBuilder().setId(id).addRepoTags(name).setSize(1234).build());
        return PullImageResponse.newBuilder().setImageRef(id).build();
    }

    @Override
    public RemoveImageResponse removeImage(RemoveImageRequest request) {
        images.remove(request.getImage().getImage());
        return RemoveImageResponse.getDefaultInstance();
    }

    @Override
    public ImageFsInfoResponse imageFsInfo(ImageFsInfoRequest request) {
        return ImageFsInfoResponse.newBuilder().addImageFilesystems(FilesystemUsage.newBuilder()
                .setTimestamp(1).setFsId(FilesystemIdentifier.newBuilder().setMountpoint("/fake"))
                .setUsedBytes(UInt64Value.newBuilder().setValue(42))).build();
    }
}
