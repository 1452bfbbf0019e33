package dev.skiff.cri;

import dev.skiff.cri.v1.*;

/**
 * CRI v1 {@code runtime.v1.ImageService}: one method per RPC, proto messages in and out,
 * failures as {@link io.grpc.StatusRuntimeException} (see {@link RuntimeService}).
 */
public interface ImageService {
    ListImagesResponse listImages(ListImagesRequest request);

    /** An absent image is an empty response, not an error. */
    ImageStatusResponse imageStatus(ImageStatusRequest request);

    PullImageResponse pullImage(PullImageRequest request);

    RemoveImageResponse removeImage(RemoveImageRequest request);

    ImageFsInfoResponse imageFsInfo(ImageFsInfoRequest request);
}
