package dev.skiff.kubelet.gc;

import dev.skiff.cri.ImageService;
import dev.skiff.cri.v1.FilesystemIdentifier;
import dev.skiff.cri.v1.FilesystemUsage;
import dev.skiff.cri.v1.Image;
import dev.skiff.cri.v1.ImageFsInfoResponse;
import dev.skiff.cri.v1.ListImagesResponse;
import dev.skiff.cri.v1.RemoveImageRequest;
import dev.skiff.cri.v1.RemoveImageResponse;
import io.grpc.Status;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An in-memory CRI image service over an imaginary filesystem of {@code capacity} bytes, of which {@code otherUse}
 * is used by other things and the rest by the images present: removing an image really lowers the usage that
 * {@link #stats()} reports.
 */
final class FakeImages {
    static final Path MOUNTPOINT = Path.of("/fake/image-fs");
    final List<Image> images = new ArrayList<>();
    final List<String> removed = new ArrayList<>();
    final Set<String> refuseRemoval = new HashSet<>();
    long capacity;
    long otherUse;

    FakeImages(long capacity, long otherUse) {
        this.capacity = capacity;
        this.otherUse = otherUse;
    }

    ImageService service() {
        return (ImageService) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {ImageService.class},
                (proxy, method, args) -> {
                    synchronized (this) {
                        return switch (method.getName()) {
                            case "listImages" -> ListImagesResponse.newBuilder().addAllImages(images).build();
                            case "imageFsInfo" -> ImageFsInfoResponse.newBuilder().addImageFilesystems(FilesystemUsage
                                    .newBuilder().setFsId(FilesystemIdentifier.newBuilder()
                                            .setMountpoint(MOUNTPOINT.toString()))).build();
                            case "removeImage" -> {
                                String id = ((RemoveImageRequest) args[0]).getImage().getImage();
                                if (refuseRemoval.contains(id)) {
                                    throw Status.FAILED_PRECONDITION.withDescription("image " + id + " is in use")
                                            .asRuntimeException();
                                }
                                images.removeIf(i -> i.getId().equals(id));
                                removed.add(id);
                                yield RemoveImageResponse.getDefaultInstance();
                            }
                            case "toString" -> "FakeImages";
                            case "hashCode" -> System.identityHashCode(proxy);
                            case "equals" -> proxy == args[0];
                            default -> throw Status.UNIMPLEMENTED.withDescription(method.getName()).asRuntimeException();
                        };
                    }
                });
    }

    synchronized Image add(String id, long size, String... tags) {
        Image i = Image.newBuilder().setId(id).setSize(size).addAllRepoTags(List.of(tags)).build();
        images.add(i);
        return i;
    }

    /** The fake filesystem's statistics; asked for any other mountpoint it fails, as a wrong path would. */
    FsStats.Reader stats() {
        return mountpoint -> {
            if (!mountpoint.equals(MOUNTPOINT)) {
                throw new java.io.IOException("no such mountpoint " + mountpoint);
            }
            synchronized (this) {
                long used = otherUse + images.stream().mapToLong(Image::getSize).sum();
                return new FsStats(capacity, capacity - used);
            }
        };
    }
}
