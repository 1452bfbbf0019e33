package dev.skiff.kubelet.nodeshutdown;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogindInhibitorTest {
    @Test
    void readsBusctlsUint64() throws Exception {
        assertEquals(Duration.ofSeconds(5), LogindInhibitor.parseUsec("t 5000000\n"));
        assertEquals(Duration.ofMillis(1500), LogindInhibitor.parseUsec("t 1500000"));
        assertThrows(InhibitorException.class, () -> LogindInhibitor.parseUsec("s \"5s\""));
        assertThrows(InhibitorException.class, () -> LogindInhibitor.parseUsec("t -1"));
        assertEquals(LogindInhibitor.UNLIMITED, LogindInhibitor.parseUsec("t 18446744073709551615"), "USEC_INFINITY");
    }

    @Test
    void picksPrepareForShutdownFromMonitorJson() {
        String signal = "{\"type\":\"signal\",\"endian\":\"l\",\"flags\":1,\"version\":1,\"cookie\":8,\"sender\":\":1.1\","
                + "\"path\":\"/org/freedesktop/login1\",\"interface\":\"org.freedesktop.login1.Manager\","
                + "\"member\":\"PrepareForShutdown\",\"payload\":{\"type\":\"b\",\"data\":[%s]}}";
        assertEquals(Boolean.TRUE, LogindInhibitor.prepareForShutdown(signal.formatted("true")));
        assertEquals(Boolean.FALSE, LogindInhibitor.prepareForShutdown(signal.formatted("false")));
        assertNull(LogindInhibitor.prepareForShutdown(signal.formatted("\"x\"")), "not a bool");
        assertNull(LogindInhibitor.prepareForShutdown(signal.replace("PrepareForShutdown", "PrepareForSleep")
                .formatted("true")));
        assertNull(LogindInhibitor.prepareForShutdown("Monitoring bus message stream."));
    }

    @Test
    void dropInRaisesInhibitDelayMaxSecInWholeSeconds(@TempDir Path dir) throws Exception {
        Path dropIns = dir.resolve("logind.conf.d");
        new LogindInhibitor(dropIns, Map.of(), Duration.ofSeconds(1)).overrideInhibitDelay(Duration.ofSeconds(45));
        Path file = dropIns.resolve("99-kubelet.conf");
        String content = Files.readString(file);
        assertTrue(content.contains("[Login]\nInhibitDelayMaxSec=45\n"), content);
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        try (var s = Files.list(dropIns)) {
            assertEquals(1, s.count(), "no temp file left");
        }
        assertTrue(LogindInhibitor.dropInContent(Duration.ofMillis(30_200)).contains("InhibitDelayMaxSec=31\n"));
    }

    @Test
    void unreachableBusSaysWhy(@TempDir Path dir) {
        assertTrue(onPath("busctl"), "busctl is not installed: " + "hack/install-host-deps.sh installs systemd");
        var logind = new LogindInhibitor(dir, Map.of("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=" + dir.resolve("none")),
                Duration.ofSeconds(5));
        InhibitorException e = assertThrows(InhibitorException.class, logind::currentInhibitDelay);
        assertTrue(e.getMessage().startsWith("logind does not answer on the system bus (Failed to connect to bus"),
                e.getMessage());
    }

    static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }
}
