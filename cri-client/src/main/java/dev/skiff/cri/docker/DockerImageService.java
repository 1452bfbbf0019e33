package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.command.PullImageResultCallback;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerClientException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AuthConfig;
import dev.skiff.cri.CriErrors;
import dev.skiff.cri.ImageService;
import dev.skiff.cri.stats.Statfs;
import dev.skiff.cri.v1.*;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** CRI ImageService on Docker's image store. */
public final class DockerImageService implements ImageService {
    private static final Logger log = LoggerFactory.getLogger(DockerImageService.class);
    /** A pull that makes no end within this time is abandoned. */
    static final Duration PULL_TIMEOUT = Duration.ofMinutes(15);

    private final DockerClient docker;
    private final ImageIndex index;

    public DockerImageService(DockerClient docker) {
        this.docker = docker;
        this.index = new ImageIndex(this::listAll, ref -> inspect(ref).map(i -> toCri(i, true)));
    }

    /** The images as answered, kept while Docker's event stream is followed (live only then). */
    ImageIndex index() {
        return index;
    }

    @Override
    public ListImagesResponse listImages(ListImagesRequest request) {
        String wanted = request.hasFilter() && request.getFilter().hasImage() ? request.getFilter().getImage().getImage() : "";
        try {
            if (!wanted.isEmpty()) {
                // Resolve names, ids and digests alike through inspect, then report that one image.
                ListImagesResponse.Builder out = ListImagesResponse.newBuilder();
                resolve(wanted).ifPresent(i -> out.addImages(i.toBuilder().clearUid().clearUsername()));
                return out.build();
            }
            return index.live() ? index.list() : listAll();
        } catch (DockerException e) {
            throw unknown(e, "ListImages failed");
        }
    }

    private ListImagesResponse listAll() {
        ListImagesResponse.Builder out = ListImagesResponse.newBuilder();
        for (com.github.dockerjava.api.model.Image i : docker.listImagesCmd().exec()) {
            out.addImages(toCri(i));
        }
        return out.build();
    }

    /** The image a reference names, with its user; from the index while it is live. */
    private Optional<Image> resolve(String ref) {
        return index.live() ? index.resolve(ref) : inspect(ref).map(i -> toCri(i, true));
    }

    @Override
    public ImageStatusResponse imageStatus(ImageStatusRequest request) {
        String ref = requireImage(request.hasImage() ? request.getImage() : null, "ImageStatus");
        try {
            return resolve(ref)
                    .map(i -> ImageStatusResponse.newBuilder().setImage(i).build())
                    .orElseGet(ImageStatusResponse::getDefaultInstance);
        } catch (DockerException e) {
            throw unknown(e, "ImageStatus of image %s failed", ref);
        }
    }

    @Override
    public PullImageResponse pullImage(PullImageRequest request) {
        String ref = requireImage(request.hasImage() ? request.getImage() : null, "PullImage");
        ImageRef parsed = ImageRef.parse(ref);
        var cmd = docker.pullImageCmd(parsed.repository()).withTag(parsed.tagOrDigest());
        if (request.hasAuth()) {
            cmd = cmd.withAuthConfig(toDocker(request.getAuth()));
        }
        log.info("pulling image {}", ref);
        index.changed();
        try {
            boolean done = cmd.exec(new PullImageResultCallback()).awaitCompletion(PULL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            if (!done) {
                throw CriErrors.deadlineExceeded("pull of image %s did not finish within %s", ref, PULL_TIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("pull of image " + ref + " interrupted").asRuntimeException();
        } catch (NotFoundException e) {
            throw CriErrors.notFound("image %s not found: %s", ref, e.getMessage());
        } catch (DockerException | DockerClientException e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage();
            if (msg.contains("not found") || msg.contains("manifest unknown")) {
                throw CriErrors.notFound("image %s not found: %s", ref, msg.trim());
            }
            throw Status.UNKNOWN.withDescription("pull of image " + ref + " failed: " + msg.trim()).withCause(e).asRuntimeException();
        }
        index.changed();
        InspectImageResponse pulled = inspect(parsed.canonical()).or(() -> inspect(ref))
                .orElseThrow(() -> CriErrors.notFound("image %s not present after pull", ref));
        log.info("pulled image {} as {}", ref, pulled.getId());
        return PullImageResponse.newBuilder().setImageRef(pulled.getId()).build();
    }

    @Override
    public RemoveImageResponse removeImage(RemoveImageRequest request) {
        String ref = requireImage(request.hasImage() ? request.getImage() : null, "RemoveImage");
        try {
            return remove(ref);
        } finally {
            index.changed();
        }
    }

    private RemoveImageResponse remove(String ref) {
        try {
            Optional<InspectImageResponse> image = inspect(ref);
            if (image.isEmpty()) {
                return RemoveImageResponse.getDefaultInstance();
            }
            String id = image.get().getId();
            List<String> tags = image.get().getRepoTags();
            if (!refersToId(ref, id)) {
                // A name: untag just that name (Docker deletes the image with its last name).
                docker.removeImageCmd(ref).withNoPrune(false).exec();
                log.info("removed image name {} ({})", ref, id);
                return RemoveImageResponse.getDefaultInstance();
            }
            // By id: removing fails while several tags name the image, so untag each first, as cri-dockerd does.
            if (tags != null && tags.size() > 1) {
                for (String tag : tags) {
                    try {
                        docker.removeImageCmd(tag).withNoPrune(false).exec();
                    } catch (NotFoundException ignored) {
                        // gone already
                    }
                }
            }
            if (inspect(id).isPresent()) {
                docker.removeImageCmd(id).withNoPrune(false).exec();
            }
            log.info("removed image {} ({})", ref, id);
            return RemoveImageResponse.getDefaultInstance();
        } catch (NotFoundException e) {
            return RemoveImageResponse.getDefaultInstance();
        } catch (ConflictException e) {
            throw CriErrors.failedPrecondition("image %s is in use: %s", ref, e.getMessage());
        } catch (DockerException e) {
            throw unknown(e, "RemoveImage of image %s failed", ref);
        }
    }

    @Override
    public ImageFsInfoResponse imageFsInfo(ImageFsInfoRequest request) {
        String rootDir;
        try {
            rootDir = docker.infoCmd().exec().getDockerRootDir();
        } catch (DockerException e) {
            throw unknown(e, "ImageFsInfo: docker info failed");
        }
        if (rootDir == null || rootDir.isEmpty()) {
            rootDir = "/var/lib/docker";
        }
        Statfs usage;
        try {
            usage = Statfs.of(Path.of(rootDir));
        } catch (IOException e) {
            throw CriErrors.internal(e, "ImageFsInfo: cannot stat filesystem of %s: %s", rootDir, e.getMessage());
        }
        Instant now = Instant.now();
        FilesystemUsage fs = FilesystemUsage.newBuilder()
                .setTimestamp(now.getEpochSecond() * 1_000_000_000L + now.getNano())
                .setFsId(FilesystemIdentifier.newBuilder().setMountpoint(rootDir))
                .setUsedBytes(UInt64Value.newBuilder().setValue(usage.usedBytes()))
                .setInodesUsed(UInt64Value.newBuilder().setValue(usage.inodesUsed()))
                .build();
        return ImageFsInfoResponse.newBuilder().addImageFilesystems(fs).build();
    }

    private Optional<InspectImageResponse> inspect(String ref) {
        try {
            return Optional.of(docker.inspectImageCmd(ref).exec());
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    private static boolean refersToId(String ref, String id) {
        String bare = id.startsWith("sha256:") ? id.substring(7) : id;
        String r = ref.startsWith("sha256:") ? ref.substring(7) : ref;
        return r.length() >= 12 && bare.startsWith(r);
    }

    private static String requireImage(ImageSpec spec, String rpc) {
        if (spec == null || spec.getImage().isEmpty()) {
            throw CriErrors.invalidArgument("%s: image spec is empty", rpc);
        }
        return spec.getImage();
    }

    private static Image toCri(com.github.dockerjava.api.model.Image i) {
        Image.Builder b = Image.newBuilder().setId(i.getId()).setSpec(ImageSpec.newBuilder().setImage(i.getId()));
        if (i.getRepoTags() != null) {
            java.util.Arrays.stream(i.getRepoTags()).filter(t -> !t.startsWith("<none>")).forEach(b::addRepoTags);
        }
        if (i.getRepoDigests() != null) {
            java.util.Arrays.stream(i.getRepoDigests()).filter(d -> !d.startsWith("<none>")).forEach(b::addRepoDigests);
        }
        if (i.getSize() != null) {
            b.setSize(Math.max(0, i.getSize()));
        }
        return b.build();
    }

    private static Image toCri(InspectImageResponse i, boolean withUser) {
        Image.Builder b = Image.newBuilder().setId(i.getId()).setSpec(ImageSpec.newBuilder().setImage(i.getId()));
        if (i.getRepoTags() != null) {
            i.getRepoTags().stream().filter(t -> !t.startsWith("<none>")).forEach(b::addRepoTags);
        }
        if (i.getRepoDigests() != null) {
            i.getRepoDigests().stream().filter(d -> !d.startsWith("<none>")).forEach(b::addRepoDigests);
        }
        if (i.getSize() != null) {
            b.setSize(Math.max(0, i.getSize()));
        }
        if (withUser && i.getConfig() != null) {
            String user = i.getConfig().getUser();
            if (user != null && !user.isEmpty()) {
                // "user", "uid", "user:group" or "uid:gid": only the user part matters here.
                String name = user.split(":", 2)[0];
                if (name.matches("\\d+")) {
                    b.setUid(Int64Value.newBuilder().setValue(Long.parseLong(name)));
                } else {
                    b.setUsername(name);
                }
            }
        }
        return b.build();
    }

    private static AuthConfig toDocker(dev.skiff.cri.v1.AuthConfig a) {
        AuthConfig auth = new AuthConfig();
        if (!a.getUsername().isEmpty()) {
            auth = auth.withUsername(a.getUsername());
        }
        if (!a.getPassword().isEmpty()) {
            auth = auth.withPassword(a.getPassword());
        }
        if (!a.getAuth().isEmpty()) {
            auth = auth.withAuth(a.getAuth());
        }
        if (!a.getServerAddress().isEmpty()) {
            auth = auth.withRegistryAddress(a.getServerAddress());
        }
        if (!a.getIdentityToken().isEmpty()) {
            auth = auth.withIdentityToken(a.getIdentityToken());
        }
        if (!a.getRegistryToken().isEmpty()) {
            auth = auth.withRegistrytoken(a.getRegistryToken());
        }
        return auth;
    }

    private static StatusRuntimeException unknown(Exception e, String format, Object... args) {
        return Status.UNKNOWN.withDescription(String.format(format, args) + ": " + e.getMessage()).withCause(e).asRuntimeException();
    }

    /** A reference split the way Docker's pull API wants it: repository plus tag or digest ("latest" when neither). */
    record ImageRef(String repository, String tagOrDigest) {
        static ImageRef parse(String ref) {
            int at = ref.indexOf('@');
            if (at >= 0) {
                return new ImageRef(ref.substring(0, at), ref.substring(at + 1));
            }
            int slash = ref.lastIndexOf('/');
            int colon = ref.lastIndexOf(':');
            if (colon > slash) {
                return new ImageRef(ref.substring(0, colon), ref.substring(colon + 1));
            }
            return new ImageRef(ref, "latest");
        }

        String canonical() {
            return tagOrDigest.contains(":") ? repository + "@" + tagOrDigest : repository + ":" + tagOrDigest;
        }
    }
}
