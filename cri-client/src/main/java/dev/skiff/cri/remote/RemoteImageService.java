package dev.skiff.cri.remote;

import dev.skiff.cri.ImageService;
import dev.skiff.cri.v1.*;
import io.grpc.Channel;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * {@link ImageService} over gRPC. Each call has a deadline (PullImage a long one, as the
 * kubelet's image pulls are bounded by progress, not by the short CRI timeout); failures are
 * the stub's {@link io.grpc.StatusRuntimeException}, unchanged.
 */
public final class RemoteImageService implements ImageService {
    /** A pull downloads layers: the kubelet gives it far longer than other calls. */
    static final Duration PULL_TIMEOUT = Duration.ofMinutes(10);

    private final Channel channel;
    private final Duration callTimeout;

    RemoteImageService(Channel channel, Duration callTimeout) {
        this.channel = channel;
        this.callTimeout = callTimeout;
    }

    private ImageServiceGrpc.ImageServiceBlockingStub stub(Duration timeout) {
        return ImageServiceGrpc.newBlockingStub(channel).withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private ImageServiceGrpc.ImageServiceBlockingStub stub() {
        return stub(callTimeout);
    }

    @Override
    public ListImagesResponse listImages(ListImagesRequest request) {
        return stub().listImages(request);
    }

    @Override
    public ImageStatusResponse imageStatus(ImageStatusRequest request) {
        return stub().imageStatus(request);
    }

    @Override
    public PullImageResponse pullImage(PullImageRequest request) {
        return stub(PULL_TIMEOUT).pullImage(request);
    }

    @Override
    public RemoveImageResponse removeImage(RemoveImageRequest request) {
        return stub().removeImage(request);
    }

    @Override
    public ImageFsInfoResponse imageFsInfo(ImageFsInfoRequest request) {
        return stub().imageFsInfo(request);
    }
}
