package dev.skiff.systemd;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SdWatchdogTest {
    private static final long PID = ProcessHandle.current().pid();

    @TempDir
    Path dir;

    @Test
    void timeoutIsReadAsSdWatchdogEnabledReadsIt() {
        assertEquals(Optional.of(Duration.ofMillis(200)), SdWatchdog.timeout(Map.of("WATCHDOG_USEC", "200000"), PID));
        assertEquals(Optional.of(Duration.ofSeconds(60)), SdWatchdog.timeout(
                Map.of("WATCHDOG_USEC", "60000000", "WATCHDOG_PID", Long.toString(PID)), PID));
        assertEquals(Optional.empty(), SdWatchdog.timeout(
                Map.of("WATCHDOG_USEC", "60000000", "WATCHDOG_PID", Long.toString(PID + 1)), PID));
        assertEquals(Optional.empty(), SdWatchdog.timeout(Map.of(), PID));
        assertEquals(Optional.empty(), SdWatchdog.timeout(Map.of("WATCHDOG_USEC", "0"), PID));
        assertEquals(Optional.empty(), SdWatchdog.timeout(Map.of("WATCHDOG_USEC", "soon"), PID));
    }

    @Test
    void pingsEveryHalfTimeoutOnlyWhileHealthy() {
        AtomicReference<Optional<String>> health = new AtomicReference<>(Optional.empty());
        try (DatagramReceiver r = new DatagramReceiver(dir.resolve("notify.sock").toString());
             SystemdNotifier n = new SystemdNotifier(env(r, Map.of("WATCHDOG_USEC", "200000")), PID)) {
            n.watchdog(health::get);
            assertTrue(n.watchdogRunning());
            assertTrue(watchdogThreadAlive(), "a thread named sd-watchdog pings");

            List<String> healthy = r.receiveFor(Duration.ofSeconds(1));
            assertTrue(healthy.stream().allMatch("WATCHDOG=1"::equals), healthy.toString());
            // every 100 ms: ~10 in a second; loose bounds for a busy machine
            assertTrue(healthy.size() >= 6 && healthy.size() <= 14, "pings in 1 s: " + healthy.size());

            health.set(Optional.of("pleg: no successful relist within 3m"));
            sleep(Duration.ofMillis(250)); // a ping decided before the change may still be in flight
            r.drain();
            List<String> unhealthy = r.receiveFor(Duration.ofMillis(600));
            assertEquals(List.of(), unhealthy, "no pings while unhealthy");

            health.set(Optional.empty());
            List<String> resumed = r.receiveFor(Duration.ofMillis(600));
            assertTrue(resumed.size() >= 2 && resumed.stream().allMatch("WATCHDOG=1"::equals),
                    "pings resume when healthy: " + resumed);

            n.close();
            n.close(); // idempotent
            assertFalse(n.watchdogRunning());
            r.drain();
            assertEquals(List.of(), r.receiveFor(Duration.ofMillis(300)), "no pings after close");
            assertFalse(watchdogThreadAlive());
        }
    }

    @Test
    void aThrowingHealthCheckCountsAsUnhealthy() {
        try (DatagramReceiver r = new DatagramReceiver(dir.resolve("notify.sock").toString());
             SystemdNotifier n = new SystemdNotifier(env(r, Map.of("WATCHDOG_USEC", "100000")), PID)) {
            n.watchdog(() -> {
                throw new IllegalStateException("boom");
            });
            assertEquals(List.of(), r.receiveFor(Duration.ofMillis(300)));
        }
    }

    @Test
    void watchdogOfAnotherPidIsDisabled() {
        try (DatagramReceiver r = new DatagramReceiver(dir.resolve("notify.sock").toString());
             SystemdNotifier n = new SystemdNotifier(env(r, Map.of("WATCHDOG_USEC", "100000",
                     "WATCHDOG_PID", Long.toString(PID + 1))), PID)) {
            n.watchdog(Optional::empty);
            assertFalse(n.watchdogRunning());
            assertEquals(List.of(), r.receiveFor(Duration.ofMillis(300)));
            n.ready("running 0 pods"); // the other messages still go
            assertEquals(Optional.of("READY=1\nSTATUS=running 0 pods"), r.receive(Duration.ofSeconds(2)));
        }
    }

    @Test
    void withoutWatchdogUsecOrNotifySocketNothingRuns() {
        try (DatagramReceiver r = new DatagramReceiver(dir.resolve("notify.sock").toString());
             SystemdNotifier n = new SystemdNotifier(env(r, Map.of()), PID)) {
            n.watchdog(Optional::empty);
            assertFalse(n.watchdogRunning());
            assertEquals(List.of(), r.receiveFor(Duration.ofMillis(200)));
        }
        try (SystemdNotifier n = new SystemdNotifier(Map.of("WATCHDOG_USEC", "100000"), PID)) {
            n.watchdog(Optional::empty); // no NOTIFY_SOCKET: nowhere to ping
            assertFalse(n.watchdogRunning());
            n.ready("x");
            n.status("x");
            n.stopping();
        }
        ServiceNotifier none = ServiceNotifier.none();
        none.watchdog(Optional::empty);
        none.ready("x");
        none.close();
    }

    private static Map<String, String> env(DatagramReceiver r, Map<String, String> more) {
        Map<String, String> env = new java.util.HashMap<>(more);
        env.put(SdNotify.NOTIFY_SOCKET, r.address());
        return env;
    }

    private static boolean watchdogThreadAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("sd-watchdog") && t.isAlive() && t.isDaemon());
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
