package dev.skiff.kubelet.gc;

import dev.skiff.kubelet.worker.FakeClock;
import dev.skiff.cri.docker.DockerCriRuntime;
import dev.skiff.cri.docker.DockerShimConfig;
import dev.skiff.cri.docker.PauseImage;
import dev.skiff.cri.v1.ContainerConfig;
import dev.skiff.cri.v1.ContainerMetadata;
import dev.skiff.cri.v1.CreateContainerRequest;
import dev.skiff.cri.v1.ImageSpec;
import dev.skiff.cri.v1.LinuxPodSandboxConfig;
import dev.skiff.cri.v1.LinuxSandboxSecurityContext;
import dev.skiff.cri.v1.NamespaceOption;
import dev.skiff.cri.v1.PodSandboxConfig;
import dev.skiff.cri.v1.PodSandboxMetadata;
import dev.skiff.cri.v1.RunPodSandboxRequest;
import dev.skiff.cri.v1.StartContainerRequest;
import dev.skiff.kubelet.it.PrivateDockerd;
import dev.skiff.volume.mount.LinuxMounter;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Image GC against a real dockerd of the test's own whose data-root is a 256 MiB tmpfs, so that real usage crosses
 * real thresholds. Never run against the machine's dockerd: it would remove the images other suites need.
 */
class ImageGcIT {
    private static final long MIB = 1 << 20;
    private static final long IMAGE_BYTES = 24 * MIB;
    private static final Duration MIN_AGE = Duration.ofMinutes(2);
    private static final int HIGH = 80;
    private static final int LOW = 70;

    @Test
    void removesUnusedImagesOldestFirstDownToTheLowThresholdAndKeepsWhatMustStay() throws Exception {
        PrivateDockerd.requireAvailable();
        Path work = Files.createTempDirectory("imagegc-it-");
        Path fs = Files.createDirectories(work.resolve("fs"));
        LinuxMounter mounter = new LinuxMounter();
        mounter.mount("tmpfs", fs, "tmpfs", 0, "size=256m,mode=0700");
        try (PrivateDockerd dockerd = PrivateDockerd.start(work.resolve("d"), fs.resolve("docker"));
             DockerCriRuntime cri = DockerCriRuntime.connect(new DockerShimConfig(dockerd.endpoint(), null))) {
            dockerd.importBusybox("skiff-test/busybox:1");
            // what the kubelet found at start: a pod whose sandbox runs the pause image, a running busybox container
            // and a created one whose image is never started; the first detection dates all of them to the past
            String used = importRandom(dockerd, work, "gc-test/used:1");
            String sandbox = runPod(cri, work, "gc-test/used:1", "skiff-test/busybox:1");
            assertFalse(sandbox.isEmpty());
            String pauseId = dockerd.docker("image", "inspect", "-f", "{{.Id}}", PauseImage.defaultImage()).trim();
            String busyboxId = dockerd.docker("image", "inspect", "-f", "{{.Id}}", "skiff-test/busybox:1").trim();
            FakeClock clock = new FakeClock(Instant.now());
            ImageGarbageCollector gc = new ImageGarbageCollector(cri.images(), cri.runtime(),
                    new ImageGcPolicy(HIGH, LOW, MIN_AGE), Set.of(PauseImage.defaultImage()), FsStats.FILE_STORE, clock);
            gc.detectImages();

            // then one image per minute of the test clock, and a young one
            clock.advance(Duration.ofMinutes(1));
            String old1 = importRandom(dockerd, work, "gc-test/old1:1");
            gc.detectImages();
            clock.advance(Duration.ofMinutes(1));
            String old2 = importRandom(dockerd, work, "gc-test/old2:1");
            gc.detectImages();
            clock.advance(Duration.ofMinutes(1));
            String old3 = importRandom(dockerd, work, "gc-test/old3:1");
            gc.detectImages();
            clock.advance(MIN_AGE);
            String young = importRandom(dockerd, work, "gc-test/young:1");
            gc.detectImages();
            clock.advance(Duration.ofSeconds(30));

            // fill the filesystem so that reaching LOW needs one and a half images freed: exactly two must go
            long capacity = Files.getFileStore(fs).getTotalSpace();
            long wantedAvailable = capacity * (100 - LOW) / 100 - IMAGE_BYTES * 3 / 2;
            fill(fs.resolve("filler-1"), Files.getFileStore(fs).getUsableSpace() - wantedAvailable);
            int before = usage(fs);
            assertTrue(before >= HIGH, "set up above the high threshold, at " + before + "%");

            ImageGarbageCollector.Result r = gc.collect(true);

            assertEquals(List.of(old1, old2), r.removedImageIds(), "the two oldest unused images, oldest first");
            assertTrue(r.freedEnough());
            assertTrue(usage(fs) <= LOW, "usage now " + usage(fs) + "% (was " + before + "%)");
            String left = dockerd.docker("images", "-q", "--no-trunc");
            for (String stays : List.of(used, old3, young, pauseId, busyboxId)) {
                assertTrue(left.contains(stays), stays + " stays; images now:\n" + left);
            }
            for (String gone : List.of(old1, old2)) {
                assertFalse(left.contains(gone), gone + " removed; images now:\n" + left);
            }

            // now more is needed than can be freed: old3 goes, the young, used and pause images still stay
            wantedAvailable = capacity * (100 - LOW) / 100 - IMAGE_BYTES * 3;
            fill(fs.resolve("filler-2"), Files.getFileStore(fs).getUsableSpace() - wantedAvailable);
            ImageGarbageCollector.Result short2 = gc.collect(true);
            assertEquals(List.of(old3), short2.removedImageIds());
            assertFalse(short2.freedEnough(), "the 'Failed to garbage collect required amount of images' case");
            left = dockerd.docker("images", "-q", "--no-trunc");
            for (String stays : List.of(used, young, pauseId, busyboxId)) {
                assertTrue(left.contains(stays), stays + " stays; images now:\n" + left);
            }
        } finally {
            unmountAndDelete(mounter, fs, work);
        }
    }

    /** A sandbox with one created container of {@code createdImage} and one running container of {@code runningImage}. */
    private static String runPod(DockerCriRuntime cri, Path work, String createdImage, String runningImage) {
        String uid = UUID.randomUUID().toString();
        PodSandboxConfig config = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName("imagegc").setNamespace("gc-it").setUid(uid))
                .setHostname("imagegc")
                .setLogDirectory(work.resolve("logs/gc-it_imagegc_" + uid).toString())
                .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(
                        LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(NamespaceOption.newBuilder())))
                .build();
        String sandbox = cri.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config).build())
                .getPodSandboxId();
        cri.runtime().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(sandbox).setSandboxConfig(config)
                .setConfig(container("created", createdImage, "true")).build());
        String running = cri.runtime().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(sandbox)
                .setSandboxConfig(config).setConfig(container("sleeper", runningImage, "sleep 3600")).build()).getContainerId();
        cri.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(running).build());
        return sandbox;
    }

    private static ContainerConfig container(String name, String image, String script) {
        return ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName(name))
                .setImage(ImageSpec.newBuilder().setImage(image))
                .addCommand("sh").addArgs("-c").addArgs(script)
                .setLogPath(name + "/0.log")
                .build();
    }

    /** Imports an image holding one file of {@link #IMAGE_BYTES} random bytes; returns its id. */
    private static String importRandom(PrivateDockerd dockerd, Path work, String tag) throws Exception {
        Path rootfs = Files.createDirectories(work.resolve("rootfs-" + UUID.randomUUID()));
        fillRandom(rootfs.resolve("blob"), IMAGE_BYTES);
        Process p = new ProcessBuilder("bash", "-c", "tar -C \"$1\" -c . | docker -H \"$2\" import - \"$3\"", "import",
                rootfs.toString(), dockerd.endpoint(), tag).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "import of " + tag + " timed out");
        assertEquals(0, p.exitValue(), "import of " + tag + ": " + out);
        deleteTree(rootfs);
        return dockerd.docker("image", "inspect", "-f", "{{.Id}}", tag).trim();
    }

    private static void fillRandom(Path file, long bytes) throws IOException {
        Random random = new Random();
        byte[] buf = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long written = 0; written < bytes; written += buf.length) {
                random.nextBytes(buf);
                out.write(buf, 0, (int) Math.min(buf.length, bytes - written));
            }
        }
    }

    private static void fill(Path file, long bytes) throws IOException {
        assertTrue(bytes > 0, "nothing to fill: " + bytes);
        byte[] buf = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long written = 0; written < bytes; written += buf.length) {
                out.write(buf, 0, (int) Math.min(buf.length, bytes - written));
            }
        }
    }

    private static int usage(Path fs) throws IOException {
        return new FsStats(Files.getFileStore(fs).getTotalSpace(), Files.getFileStore(fs).getUsableSpace()).usagePercent();
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Cleanup after the dockerd is closed: its tmpfs, then the work dir. */
    static void unmountAndDelete(LinuxMounter mounter, Path mount, Path work) throws IOException {
        try {
            mounter.unmount(mount);
        } finally {
            deleteTree(work);
        }
    }
}
