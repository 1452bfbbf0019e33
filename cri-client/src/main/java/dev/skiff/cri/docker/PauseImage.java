package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.PullImageResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.skiff.cri.CriErrors;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The sandbox image. By default Skiff's own {@code skiff/pause:<version>}, whose static pause
 * program ships inside this jar: when Docker lacks the image it is assembled in memory as a
 * {@code docker save} tarball (one layer holding {@code /pause}) and loaded, so no registry is needed.
 * A configured infra image replaces it and must be present or pullable.
 */
public final class PauseImage {
    private static final Logger log = LoggerFactory.getLogger(PauseImage.class);
    static final String PROPERTIES = "/dev/skiff/cri/docker/pause.properties";
    static final String BINARY = "/dev/skiff/cri/docker/pause/pause";
    /** Fixed mtime so the same binary always gives the same layer digest. */
    private static final long EPOCH = 0L;

    private final DockerClient docker;
    private final String override;
    /** The name our own image is imported under; null for {@link #defaultImage()}. */
    private final String ownName;
    private volatile boolean ensured;

    /** @param override the configured infra image, or null for Skiff's own */
    public PauseImage(DockerClient docker, String override) {
        this(docker, override, null);
    }

    /** Our own image imported under {@code ownName} (tests give it a name of their own, so removing it is theirs alone). */
    PauseImage(DockerClient docker, String override, String ownName) {
        this.docker = docker;
        this.override = override;
        this.ownName = ownName;
    }

    /** The image sandboxes run: the override, or {@code skiff/pause:<version>} from this jar. */
    public String name() {
        return override != null ? override : ownName != null ? ownName : defaultImage();
    }

    /**
     * Makes sure Docker has the image (importing or pulling it once); returns its name. Once ensured, Docker is
     * not asked again on every sandbox: a sandbox create that finds the image gone calls {@link #invalidate()}
     * and ensures again (see {@link SandboxService}), so an image removed behind our back is still restored.
     */
    public String ensure() {
        if (ensured) {
            return name();
        }
        return ensureNow();
    }

    /** Docker said the image is missing: the next {@link #ensure()} checks, and imports or pulls, again. */
    public void invalidate() {
        ensured = false;
    }

    private synchronized String ensureNow() {
        String image = name();
        if (ensured) {
            return image;
        }
        if (!present(image)) {
            if (override != null) {
                pull(image);
            } else {
                load(image);
            }
        }
        ensured = true;
        return image;
    }

    private boolean present(String image) {
        try {
            docker.inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    private void pull(String image) {
        log.info("sandbox image {} is absent; pulling it", image);
        try {
            boolean done = docker.pullImageCmd(image).exec(new PullImageResultCallback()).awaitCompletion(5, TimeUnit.MINUTES);
            if (!done || !present(image)) {
                throw CriErrors.failedPrecondition("sandbox image %s is absent and could not be pulled", image);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CriErrors.unavailable("interrupted while pulling sandbox image %s", image);
        } catch (RuntimeException e) {
            if (e instanceof io.grpc.StatusRuntimeException s) {
                throw s;
            }
            throw CriErrors.failedPrecondition("sandbox image %s is absent and could not be pulled: %s",
                    image, DockerErrors.dockerMessage(e));
        }
    }

    private void load(String image) {
        byte[] tarball = tarball(image, pauseBinary());
        log.info("importing sandbox image {} ({} bytes)", image, tarball.length);
        docker.loadImageCmd(new ByteArrayInputStream(tarball)).exec();
        if (!present(image)) {
            throw CriErrors.internal(null, "docker load did not produce sandbox image %s", image);
        }
    }

    /** {@code skiff/pause:<version>} as recorded in the jar at build time. */
    public static String defaultImage() {
        try (InputStream in = PauseImage.class.getResourceAsStream(PROPERTIES)) {
            if (in == null) {
                throw new IllegalStateException(PROPERTIES + " is missing from the classpath");
            }
            Properties p = new Properties();
            p.load(in);
            String image = p.getProperty("image");
            if (image == null || image.isBlank() || image.contains("${")) {
                throw new IllegalStateException(PROPERTIES + " has no resolved image= entry: " + image);
            }
            return image.trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] pauseBinary() {
        try (InputStream in = PauseImage.class.getResourceAsStream(BINARY)) {
            if (in == null) {
                throw new IllegalStateException(BINARY + " is missing from the classpath (the build compiles src/main/c/pause.c)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A {@code docker load} archive of a one-layer image tagged {@code repoTag} whose layer holds
     * {@code /pause} (mode 0755) and whose entrypoint is {@code /pause}.
     */
    static byte[] tarball(String repoTag, byte[] pause) {
        byte[] layer = tar(out -> entry(out, "pause", 0755, pause));
        String layerDigest = sha256(layer);
        String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Entrypoint\":[\"/pause\"]},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" + layerDigest + "\"]}}";
        byte[] configBytes = config.getBytes(StandardCharsets.UTF_8);
        String configName = sha256(configBytes) + ".json";
        String manifest = "[{\"Config\":\"" + configName + "\",\"RepoTags\":[\"" + repoTag + "\"],\"Layers\":[\"layer.tar\"]}]";
        return tar(out -> {
            entry(out, configName, 0644, configBytes);
            entry(out, "layer.tar", 0644, layer);
            entry(out, "manifest.json", 0644, manifest.getBytes(StandardCharsets.UTF_8));
        });
    }

    private interface TarBody {
        void write(TarArchiveOutputStream out) throws IOException;
    }

    private static byte[] tar(TarBody body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            body.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void entry(TarArchiveOutputStream out, String name, int mode, byte[] content) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setMode(mode);
        e.setSize(content.length);
        e.setModTime(EPOCH);
        out.putArchiveEntry(e);
        out.write(content);
        out.closeArchiveEntry();
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
