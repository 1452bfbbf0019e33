package dev.skiff.cri.testing;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Images the integration tests run, built locally: no registry is ever reached.
 *
 * <p>{@link #BUSYBOX} is a rootfs of Debian's static busybox with a symlink per applet,
 * imported with the equivalent of {@code tar -c . | docker import - skiff-test/busybox:1}.
 */
public final class TestImages {
    public static final String BUSYBOX = "skiff-test/busybox:1";
    private static final Path BUSYBOX_BINARY = Path.of("/bin/busybox");

    private TestImages() {}

    /** Imports {@link #BUSYBOX} when Docker does not have it yet; returns its name. */
    public static synchronized String busybox(DockerClient docker) {
        if (!present(docker, BUSYBOX)) {
            byte[] rootfs = busyboxRootfs();
            String repo = BUSYBOX.substring(0, BUSYBOX.indexOf(':'));
            String tag = BUSYBOX.substring(BUSYBOX.indexOf(':') + 1);
            docker.createImageCmd(repo, new ByteArrayInputStream(rootfs)).withTag(tag).exec();
        }
        return BUSYBOX;
    }

    public static boolean present(DockerClient docker, String image) {
        try {
            docker.inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    private static byte[] busyboxRootfs() {
        if (!Files.isExecutable(BUSYBOX_BINARY)) {
            throw new IllegalStateException(BUSYBOX_BINARY + " is missing: install busybox-static (make test does)");
        }
        try {
            byte[] binary = Files.readAllBytes(BUSYBOX_BINARY);
            ByteArrayOutputStream out = new ByteArrayOutputStream(binary.length + 65536);
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                for (String dir : List.of("bin/", "etc/", "tmp/", "proc/", "sys/", "dev/", "root/", "var/", "data/")) {
                    TarArchiveEntry e = new TarArchiveEntry(dir);
                    e.setMode(dir.equals("tmp/") ? 01777 : 0755);
                    tar.putArchiveEntry(e);
                    tar.closeArchiveEntry();
                }
                TarArchiveEntry bin = new TarArchiveEntry("bin/busybox");
                bin.setMode(0755);
                bin.setSize(binary.length);
                tar.putArchiveEntry(bin);
                tar.write(binary);
                tar.closeArchiveEntry();
                for (String applet : applets()) {
                    if (applet.equals("busybox")) {
                        continue;
                    }
                    TarArchiveEntry link = new TarArchiveEntry("bin/" + applet, TarArchiveEntry.LF_SYMLINK);
                    link.setLinkName("busybox");
                    tar.putArchiveEntry(link);
                    tar.closeArchiveEntry();
                }
                file(tar, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
                file(tar, "etc/group", "root:x:0:\nnogroup:x:65534:\n");
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void file(TarArchiveOutputStream tar, String name, String content) throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setMode(0644);
        e.setSize(bytes.length);
        tar.putArchiveEntry(e);
        tar.write(bytes);
        tar.closeArchiveEntry();
    }

    private static List<String> applets() throws IOException {
        Process p = new ProcessBuilder(BUSYBOX_BINARY.toString(), "--list").redirectErrorStream(true).start();
        List<String> names = new ArrayList<>();
        for (String line : new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
            if (line.matches("[a-z0-9_.\\[-]+")) {
                names.add(line);
            }
        }
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0 || names.isEmpty()) {
                throw new IllegalStateException("busybox --list failed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return names;
    }
}
