package dev.skiff.kubelet.nodeshutdown;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * Against the machine's own systemd-logind, when one answers on the system bus: read the delay, take and release
 * Skiff's lock (seen in logind's ListInhibitors), start and stop the PrepareForShutdown watch. Never changes
 * logind's configuration and never shuts anything down.
 */
class SystemLogindIT {
    private static final String SKIFF_LOCK = "\"shutdown\" \"skiff\" \"Skiff has active pods\" \"delay\"";

    private static LogindInhibitor logindOrSkip() {
        LogindInhibitor logind = LogindInhibitor.system();
        try {
            logind.currentInhibitDelay();
        } catch (InhibitorException e) {
            abort("no systemd-logind here: " + e.getMessage());
        }
        return logind;
    }

    private static String inhibitors() throws Exception {
        Subprocess.Result r = Subprocess.run(List.of("busctl", "--system", "call", "org.freedesktop.login1",
                "/org/freedesktop/login1", "org.freedesktop.login1.Manager", "ListInhibitors"), Map.of(),
                Duration.ofSeconds(10));
        assertTrue(r.ok(), r.stderr());
        return r.stdout();
    }

    @Test
    void lockAndWatchOnTheRealLogind() throws Exception {
        LogindInhibitor logind = logindOrSkip();
        assertFalse(logind.currentInhibitDelay().isNegative());
        ShutdownInhibitor.InhibitLock lock = logind.inhibitShutdown();
        try {
            assertTrue(lock.held());
            assertTrue(inhibitors().contains(SKIFF_LOCK), inhibitors());
        } finally {
            lock.release();
        }
        assertFalse(lock.held());
        NodeShutdownManagerTest.await("lock gone", () -> {
            try {
                return !inhibitors().contains(SKIFF_LOCK);
            } catch (Exception e) {
                return false;
            }
        });
        try (ShutdownInhibitor.ShutdownWatch watch = logind.monitorShutdown(new ShutdownInhibitor.ShutdownListener() {
            @Override
            public void prepareForShutdown(boolean active) {
            }

            @Override
            public void watchEnded(String why) {
            }
        })) {
            assertTrue(watch != null);
        }
    }
}
