package dev.skiff.volume.block;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CommandsTest {
    @Test
    void capturesExitCodeAndBothStreams() throws BlockDeviceException {
        Commands.Result r = Commands.run(List.of("/bin/sh", "-c", "echo out; echo err >&2; exit 3"),
                Duration.ofSeconds(10));
        assertEquals(3, r.exitCode());
        assertEquals("out\n", r.stdout());
        assertEquals("err\n", r.stderr());
        assertEquals("`/bin/sh -c echo out; echo err >&2; exit 3` exited 3: err", r.describe());
    }

    @Test
    void timeoutKillsAndNamesTheCommand() {
        long start = System.nanoTime();
        BlockDeviceException e = assertThrows(BlockDeviceException.class,
                () -> Commands.run(List.of("/bin/sleep", "30"), Duration.ofMillis(300)));
        assertTrue(e.getMessage().startsWith("`/bin/sleep 30` timed out"), e.getMessage());
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(10).toNanos());
    }

    @Test
    void missingToolIsNamed() {
        BlockDeviceException e = assertThrows(BlockDeviceException.class,
                () -> Commands.run(List.of("/nonexistent/tool", "x"), Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("cannot run `/nonexistent/tool x`"), e.getMessage());
        e = assertThrows(BlockDeviceException.class, () -> Commands.require("no-such-tool-here"));
        assertTrue(e.getMessage().startsWith("no-such-tool-here not found"), e.getMessage());
        assertTrue(Commands.find("blkid").isPresent());
    }
}
