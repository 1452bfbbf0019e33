package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.PushResponseItem;
import dev.skiff.cri.testing.TestDocker;
import dev.skiff.cri.testing.TestImages;
import dev.skiff.cri.v1.*;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class DockerImageServiceIT {
    private final DockerClient docker = TestDocker.client();
    private final DockerImageService images = new DockerImageService(docker);
    private final List<String> created = new ArrayList<>();
    private Process registry;
    private final String namespace = TestDocker.newNamespace("skiff-images-it");

    @AfterEach
    void tearDown() {
        for (String ref : created) {
            try {
                docker.removeImageCmd(ref).withForce(true).exec();
            } catch (RuntimeException ignored) {
                // already gone
            }
        }
        TestDocker.removeNamespace(namespace);
        if (registry != null) {
            registry.destroyForcibly();
        }
    }

    @Test
    void listsAndReportsStatusOfLocalImages() {
        String busybox = TestImages.busybox(docker);
        String id = docker.inspectImageCmd(busybox).exec().getId();
        Image listed = images.listImages(ListImagesRequest.getDefaultInstance()).getImagesList().stream()
                .filter(i -> i.getId().equals(id)).findFirst().orElseThrow();
        assertTrue(listed.getRepoTagsList().contains(busybox));
        assertTrue(listed.getSize() > 0);

        List<Image> filtered = images.listImages(ListImagesRequest.newBuilder()
                .setFilter(ImageFilter.newBuilder().setImage(spec(busybox))).build()).getImagesList();
        assertEquals(List.of(id), filtered.stream().map(Image::getId).toList());

        ImageStatusResponse status = images.imageStatus(ImageStatusRequest.newBuilder().setImage(spec(busybox)).build());
        assertEquals(id, status.getImage().getId());
        assertTrue(status.getImage().getRepoTagsList().contains(busybox));
        assertEquals(status.getImage(), images.imageStatus(ImageStatusRequest.newBuilder().setImage(spec(id)).build()).getImage());

        ImageStatusResponse absent = images.imageStatus(ImageStatusRequest.newBuilder().setImage(spec("skiff-test/absent:nope")).build());
        assertFalse(absent.hasImage());
        assertTrue(images.listImages(ListImagesRequest.newBuilder()
                .setFilter(ImageFilter.newBuilder().setImage(spec("skiff-test/absent:nope"))).build()).getImagesList().isEmpty());
    }

    @Test
    void removesByNameAndByIdAndAbsentIsSuccess() throws Exception {
        String tag = "skiff-test/rmme:" + UUID.randomUUID().toString().substring(0, 8);
        String other = tag + "-b";
        String id = commitImage(tag);
        assertNotEquals(docker.inspectImageCmd(TestImages.busybox(docker)).exec().getId(), id);
        assertEquals("nobody", images.imageStatus(ImageStatusRequest.newBuilder().setImage(spec(tag)).build()).getImage().getUsername());
        docker.tagImageCmd(id, other.substring(0, other.indexOf(':')), other.substring(other.indexOf(':') + 1)).exec();
        created.add(other);

        images.removeImage(RemoveImageRequest.newBuilder().setImage(spec(other)).build());
        assertFalse(TestImages.present(docker, other), "the name is gone");
        assertTrue(TestImages.present(docker, tag), "the other name keeps the image");

        images.removeImage(RemoveImageRequest.newBuilder().setImage(spec(id)).build());
        assertFalse(TestImages.present(docker, id));
        assertFalse(images.imageStatus(ImageStatusRequest.newBuilder().setImage(spec(tag)).build()).hasImage());
        images.removeImage(RemoveImageRequest.newBuilder().setImage(spec(id)).build()); // absent: success
        images.removeImage(RemoveImageRequest.newBuilder().setImage(spec("skiff-test/never:there")).build());
    }

    @Test
    void reportsTheImageFilesystem() {
        String root = docker.infoCmd().exec().getDockerRootDir();
        ImageFsInfoResponse info = images.imageFsInfo(ImageFsInfoRequest.getDefaultInstance());
        assertEquals(1, info.getImageFilesystemsCount());
        FilesystemUsage fs = info.getImageFilesystems(0);
        assertEquals(root, fs.getFsId().getMountpoint());
        assertTrue(fs.getUsedBytes().getValue() > 0);
        assertTrue(fs.getInodesUsed().getValue() > 0);
        long nowNanos = System.currentTimeMillis() * 1_000_000L;
        assertTrue(Math.abs(nowNanos - fs.getTimestamp()) < Duration.ofMinutes(1).toNanos());
    }

    @Test
    void pullFromAClosedPortFailsNamingTheImage() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String ref = "127.0.0.1:" + port + "/skiff-test/nothing:1";
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> images.pullImage(PullImageRequest.newBuilder().setImage(spec(ref)).build()));
        assertTrue(e.getStatus().getCode() == Status.Code.UNKNOWN || e.getStatus().getCode() == Status.Code.NOT_FOUND, e.toString());
        assertTrue(e.getStatus().getDescription().contains(ref), e.getStatus().getDescription());
    }

    @Test
    void pullsFromALocalRegistry(@TempDir Path dir) throws Exception {
        assertTrue(Files.isExecutable(Path.of("/usr/bin/docker-registry")),
                "docker-registry is not installed: hack/install-host-deps.sh installs it");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path config = dir.resolve("config.yml");
        Files.writeString(config, "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: " + dir.resolve("storage")
                + "\nhttp:\n  addr: 127.0.0.1:" + port + "\n");
        registry = new ProcessBuilder("/usr/bin/docker-registry", "serve", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
        int p = port;
        ContainerLogsIT.await("registry listens", () -> {
            try (Socket ignored = new Socket("127.0.0.1", p)) {
                return true;
            } catch (Exception e) {
                return false;
            }
        }, Duration.ofSeconds(60));

        String busybox = TestImages.busybox(docker);
        String id = docker.inspectImageCmd(busybox).exec().getId();
        String repo = "127.0.0.1:" + port + "/skiff-test/busybox";
        docker.tagImageCmd(id, repo, "1").exec();
        created.add(repo + ":1");
        docker.pushImageCmd(repo).withTag("1").exec(new ResultCallback.Adapter<PushResponseItem>()).awaitCompletion(120, TimeUnit.SECONDS);
        docker.removeImageCmd(repo + ":1").exec();
        assertFalse(TestImages.present(docker, repo + ":1"));

        PullImageResponse pulled = images.pullImage(PullImageRequest.newBuilder().setImage(spec(repo + ":1"))
                .setAuth(AuthConfig.newBuilder().setUsername("u").setPassword("p").setServerAddress("127.0.0.1:" + port)).build());
        assertEquals(id, pulled.getImageRef());
        assertTrue(TestImages.present(docker, repo + ":1"));
        assertFalse(images.imageStatus(ImageStatusRequest.newBuilder().setImage(spec(repo + ":1")).build())
                .getImage().getRepoDigestsList().isEmpty(), "a pulled image has a digest");

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> images.pullImage(PullImageRequest.newBuilder().setImage(spec(repo + ":missing")).build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), e.toString());
        assertTrue(e.getStatus().getDescription().contains(repo + ":missing"));
    }

    /** A fresh image of our own (committed from a busybox container, with a user) so removal cannot touch busybox. */
    private String commitImage(String tag) {
        String ctr = docker.createContainerCmd(TestImages.busybox(docker)).withCmd("true")
                .withLabels(java.util.Map.of("io.kubernetes.pod.namespace", namespace)).exec().getId();
        String id = docker.commitCmd(ctr).withRepository(tag.substring(0, tag.indexOf(':'))).withTag(tag.substring(tag.indexOf(':') + 1))
                .withUser("nobody").withLabels(java.util.Map.of("skiff-test", UUID.randomUUID().toString())).exec();
        created.add(tag);
        return docker.inspectImageCmd(id).exec().getId();
    }

    private static ImageSpec spec(String image) {
        return ImageSpec.newBuilder().setImage(image).build();
    }
}
