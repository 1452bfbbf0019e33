package dev.skiff.kubelet;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class HostLimitsTest {
    @Test
    void readsAWholeIntegerSysctlThatAReadPastOffsetZeroWouldCut() throws Exception {
        Path sysctl = Path.of("/proc/sys/fs/inotify/max_user_instances");
        String expected;
        try (var in = Files.newInputStream(sysctl)) {
            expected = new String(in.readAllBytes()).strip(); // one read from offset 0 gets the whole value
        }
        assertEquals(Optional.of(Long.parseLong(expected)), HostLimits.read(sysctl));
    }

    @Test
    void anUnreadableOrMalformedFileIsEmpty(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        assertEquals(Optional.empty(), HostLimits.read(dir.resolve("missing")));
        Path bad = Files.writeString(dir.resolve("bad"), "many\n");
        assertEquals(Optional.empty(), HostLimits.read(bad));
    }
}
