package dev.skiff.cri.server;

import dev.skiff.cri.ImageService;
import dev.skiff.cri.v1.*;
import io.grpc.stub.StreamObserver;

/** Serves an {@link ImageService} as {@code runtime.v1.ImageService}: each RPC delegates to the interface. */
final class ImageServiceAdapter extends ImageServiceGrpc.ImageServiceImplBase {
    private final ImageService images;

    ImageServiceAdapter(ImageService images) {
        this.images = images;
    }

    @Override
    public void listImages(ListImagesRequest request, StreamObserver<ListImagesResponse> response) {
        CallErrors.unary("ListImages", request, response, images::listImages);
    }

    @Override
    public void imageStatus(ImageStatusRequest request, StreamObserver<ImageStatusResponse> response) {
        CallErrors.unary("ImageStatus", request, response, images::imageStatus);
    }

    @Override
    public void pullImage(PullImageRequest request, StreamObserver<PullImageResponse> response) {
        CallErrors.unary("PullImage", request, response, images::pullImage);
    }

    @Override
    public void removeImage(RemoveImageRequest request, StreamObserver<RemoveImageResponse> response) {
        CallErrors.unary("RemoveImage", request, response, images::removeImage);
    }

    @Override
    public void imageFsInfo(ImageFsInfoRequest request, StreamObserver<ImageFsInfoResponse> response) {
        CallErrors.unary("ImageFsInfo", request, response, images::imageFsInfo);
    }
}
