package dev.skiff.kubelet.source;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** Every kind of directory entry, on the real file system: only regular files are opened, never past the limit. */
class ManifestFileReaderTest {
    @TempDir
    Path tmp;

    private final ManifestFileReader reader = new ManifestFileReader(1024);

    private ManifestFileReader.Refused refused(Path p) {
        return assertInstanceOf(ManifestFileReader.Refused.class,
                assertTimeoutPreemptively(java.time.Duration.ofSeconds(5), () -> reader.read(p)));
    }

    @Test
    void regularFileAndSymlinkToOneAreRead() throws Exception {
        Path f = Files.write(tmp.resolve("a.yaml"), new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {1, 2, 3}, assertInstanceOf(ManifestFileReader.Content.class, reader.read(f)).bytes());
        Path link = Files.createSymbolicLink(tmp.resolve("l.yaml"), f);
        assertArrayEquals(new byte[] {1, 2, 3}, assertInstanceOf(ManifestFileReader.Content.class, reader.read(link)).bytes());
    }

    @Test
    void fifoSocketAndDeviceAreRefusedWithoutOpeningThem() throws Exception {
        Path fifo = tmp.resolve("fifo.yaml");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertTrue(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo failed");
        // no writer: an open would block for ever
        assertTrue(refused(fifo).reason().contains("not a regular file (a FIFO)"));
        assertTrue(refused(Files.createSymbolicLink(tmp.resolve("to-fifo.yaml"), fifo)).reason().contains("a FIFO"));

        Path sock = tmp.resolve("sock.yaml");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            assertTrue(refused(sock).reason().contains("(a socket)"));
        }
        Path zero = Files.createSymbolicLink(tmp.resolve("zero.yaml"), Path.of("/dev/zero"));
        assertTrue(refused(zero).reason().contains("(a character device)"));
    }

    @Test
    void directoryGoneAndDanglingLinkAreToldApart() throws Exception {
        assertInstanceOf(ManifestFileReader.Directory.class, reader.read(Files.createDirectory(tmp.resolve("d.yaml"))));
        assertInstanceOf(ManifestFileReader.Gone.class, reader.read(tmp.resolve("none.yaml")));
        Path dangling = Files.createSymbolicLink(tmp.resolve("dangling.yaml"), tmp.resolve("nowhere"));
        assertTrue(refused(dangling).reason().contains("symlink whose target does not exist"));
        Path loop = Files.createSymbolicLink(tmp.resolve("loop.yaml"), tmp.resolve("loop.yaml"));
        assertTrue(refused(loop).reason().startsWith("cannot read: "), refused(loop).reason());
    }

    @Test
    void fileOverTheLimitIsRefusedUnreadAndItsVersionFollowsTheFile() throws Exception {
        Path big = Files.write(tmp.resolve("big.yaml"), new byte[1025]);
        ManifestFileReader.Refused r = refused(big);
        assertTrue(r.reason().contains("1025 bytes") && r.reason().contains("1024 bytes (1 KiB)")
                && r.reason().contains("--manifest-max-size"), r.reason());
        Files.write(big, new byte[2048]);
        assertNotEquals(r.version(), refused(big).version());
        Files.write(big, new byte[1024]);
        assertEquals(1024, assertInstanceOf(ManifestFileReader.Content.class, reader.read(big)).bytes().length);
    }
}
