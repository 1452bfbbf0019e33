package dev.skiff.kubelet.metrics;

import dev.skiff.cri.ImageService;
import dev.skiff.cri.v1.*;

/** Upstream's instrumentedImageManagerService: every CRI image call counted and timed, as {@link InstrumentedRuntimeService}. */
public final class InstrumentedImageService implements ImageService {
    private final ImageService delegate;
    private final RuntimeOperations metrics;

    public InstrumentedImageService(ImageService delegate, RuntimeOperations metrics) {
        this.delegate = delegate;
        this.metrics = metrics;
    }

    @Override
    public ListImagesResponse listImages(ListImagesRequest request) {
        return metrics.call("list_images", () -> delegate.listImages(request));
    }

    @Override
    public ImageStatusResponse imageStatus(ImageStatusRequest request) {
        return metrics.call("image_status", () -> delegate.imageStatus(request));
    }

    @Override
    public PullImageResponse pullImage(PullImageRequest request) {
        return metrics.call("pull_image", () -> delegate.pullImage(request));
    }

    @Override
    public RemoveImageResponse removeImage(RemoveImageRequest request) {
        return metrics.call("remove_image", () -> delegate.removeImage(request));
    }

    @Override
    public ImageFsInfoResponse imageFsInfo(ImageFsInfoRequest request) {
        return metrics.call("image_fs_info", () -> delegate.imageFsInfo(request));
    }
}
