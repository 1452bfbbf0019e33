package dev.skiff.cri.server;

import dev.skiff.cri.remote.RemoteCriRuntime;
import dev.skiff.cri.v1.VersionRequest;
import dev.skiff.cri.v1.VersionResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/** The socket file itself: where it goes, its mode, what start refuses, who serves it. */
class CriServerSocketTest {
    @TempDir
    Path dir;

    @Test
    void socketIsCreatedWithModeGroupReadWriteInNewParentDirs() throws Exception {
        Path socket = dir.resolve("a/b/cri.sock");
        try (CriServer server = CriServer.start(socket, new FakeRuntime(), new FakeImages())) {
            assertEquals(socket, server.socket());
            assertTrue(Files.exists(socket), "socket created, parents too");
            assertFalse(Files.isRegularFile(socket), "a socket, not a file");
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        }
        assertFalse(Files.exists(socket));
    }

    @Test
    void callsRunOnNamedServerThreads() {
        Path socket = dir.resolve("cri.sock");
        String[] thread = new String[1];
        UnimplementedRuntime runtime = new UnimplementedRuntime() {
            @Override
            public VersionResponse version(VersionRequest request) {
                thread[0] = Thread.currentThread().getName();
                return VersionResponse.newBuilder().setRuntimeName("fake").build();
            }
        };
        try (CriServer server = CriServer.start(socket, runtime, new FakeImages());
             RemoteCriRuntime client = RemoteCriRuntime.connect("unix://" + socket, Duration.ofSeconds(5))) {
            client.runtime().version(VersionRequest.getDefaultInstance());
        }
        assertTrue(thread[0].startsWith("cri-server-call-"), thread[0]);
    }

    @Test
    void aDirectoryAtTheSocketPathIsRefusedAndKept() throws Exception {
        Path socket = Files.createDirectories(dir.resolve("cri.sock"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CriServer.start(socket, new FakeRuntime(), new FakeImages()));
        assertTrue(e.getMessage().contains(socket.toString()), e.getMessage());
        assertTrue(Files.isDirectory(socket));
    }

    @Test
    void aPathTooLongForSunPathIsRefusedWithItsName() {
        Path socket = dir.resolve("x".repeat(120) + ".sock");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CriServer.start(socket, new FakeRuntime(), new FakeImages()));
        assertTrue(e.getMessage().contains(socket.toString()), e.getMessage());
    }

    @Test
    void awaitTerminationReportsTheEnd() throws Exception {
        CriServer server = CriServer.start(dir.resolve("cri.sock"), new FakeRuntime(), new FakeImages());
        assertFalse(server.awaitTermination(Duration.ofMillis(50)), "still serving");
        server.close();
        assertTrue(server.awaitTermination(Duration.ofSeconds(1)));
    }
}
