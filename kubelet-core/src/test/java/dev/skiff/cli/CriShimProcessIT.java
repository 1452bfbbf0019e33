package dev.skiff.cli;

import dev.skiff.cri.remote.RemoteCriRuntime;
import dev.skiff.cri.v1.StatusRequest;
import dev.skiff.cri.v1.StatusResponse;
import dev.skiff.cri.v1.VersionRequest;
import dev.skiff.cri.v1.VersionResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bin/skiff cri-shim} as an operator runs it: a real process serving a real socket. */
class CriShimProcessIT {
    private static final Path LAUNCHER = Path.of("..", "bin", "skiff").toAbsolutePath().normalize();

    @TempDir
    Path dir;
    private Process shim;

    @AfterEach
    void stop() throws InterruptedException {
        if (shim != null && shim.isAlive()) {
            shim.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void servesCriOnItsSocketAndCleansUpOnSigterm() throws Exception {
        Path socket = dir.resolve("cri.sock");
        Path log = dir.resolve("shim.log");
        shim = new ProcessBuilder(LAUNCHER.toString(), "cri-shim", "--listen", "unix://" + socket)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        awaitSocket(socket, log);

        try (RemoteCriRuntime cri = RemoteCriRuntime.connect("unix://" + socket, Duration.ofSeconds(10))) {
            VersionResponse v = cri.runtime().version(VersionRequest.getDefaultInstance());
            assertEquals("docker", v.getRuntimeName());
            assertEquals("v1", v.getRuntimeApiVersion());
            StatusResponse s = cri.runtime().status(StatusRequest.getDefaultInstance());
            assertTrue(s.getStatus().getConditionsList().stream()
                    .anyMatch(c -> c.getType().equals("RuntimeReady") && c.getStatus()), s.toString());
        }

        shim.destroy(); // SIGTERM, as systemd sends it
        assertTrue(shim.waitFor(20, TimeUnit.SECONDS), "shim did not exit on SIGTERM");
        assertFalse(Files.exists(socket), "socket left behind after shutdown");
        assertTrue(Files.readString(log).contains("serving CRI v1 on unix://" + socket), Files.readString(log));
    }

    @Test
    void unknownFlagExitsWithUsageErrorAndSuggestion() throws Exception {
        Process p = new ProcessBuilder(LAUNCHER.toString(), "cri-shim", "--listn", "unix:///tmp/x.sock")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.contains("--listen"), out);
    }

    private void awaitSocket(Path socket, Path log) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(socket)) {
            if (!shim.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("shim did not serve " + socket + ":\n" + Files.readString(log));
            }
            Thread.sleep(100);
        }
    }
}
