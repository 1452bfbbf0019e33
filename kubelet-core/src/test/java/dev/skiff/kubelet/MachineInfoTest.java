package dev.skiff.kubelet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MachineInfoTest {
    @TempDir
    Path tmp;

    @Test
    void memTotalIsMemTotalInBytes() throws IOException {
        Path meminfo = tmp.resolve("meminfo");
        Files.writeString(meminfo, """
                MemTotal:       16318060 kB
                MemFree:         1234567 kB
                MemAvailable:    9876543 kB
                """);
        assertEquals(16318060L * 1024, MachineInfo.memTotal(meminfo));
    }

    @Test
    void memTotalNeedNotBeTheFirstLine() throws IOException {
        Path meminfo = tmp.resolve("meminfo");
        Files.writeString(meminfo, "MemFree: 1 kB\nMemTotal: 2048 kB\n");
        assertEquals(2048L * 1024, MachineInfo.memTotal(meminfo));
    }

    @Test
    void missingOrUnparsableFileFallsBackToWhatTheJvmSees() throws IOException {
        long jvm = Math.max(1, Runtime.getRuntime().maxMemory());
        assertEquals(jvm, MachineInfo.memTotal(tmp.resolve("absent")));
        Path bad = tmp.resolve("bad");
        Files.writeString(bad, "MemTotal: lots kB\n");
        assertEquals(jvm, MachineInfo.memTotal(bad));
    }

    @Test
    void currentReportsPositiveCapacity() {
        MachineInfo m = MachineInfo.current();
        assertTrue(m.cpus() >= 1);
        assertTrue(m.memoryBytes() > 0);
    }
}
