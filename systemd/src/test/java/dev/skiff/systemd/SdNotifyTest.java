package dev.skiff.systemd;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SdNotifyTest {
    private static final Duration WAIT = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    @Test
    void sendsEachMessageAsOneDatagramToAPathSocket() {
        try (DatagramReceiver r = new DatagramReceiver(dir.resolve("notify.sock").toString())) {
            assertMessages(r);
        }
    }

    @Test
    void sendsToAnAbstractSocket() {
        try (DatagramReceiver r = new DatagramReceiver("@skiff-test-" + UUID.randomUUID())) {
            assertMessages(r);
        }
    }

    private static void assertMessages(DatagramReceiver r) {
        SdNotify n = new SdNotify(Map.of(SdNotify.NOTIFY_SOCKET, r.address()));
        assertTrue(n.enabled());
        assertTrue(n.ready("running 3 pods"));
        assertEquals(Optional.of("READY=1\nSTATUS=running 3 pods"), r.receive(WAIT));
        assertTrue(n.status("syncing 2 pods"));
        assertEquals(Optional.of("STATUS=syncing 2 pods"), r.receive(WAIT));
        assertTrue(n.status(""));
        assertEquals(Optional.of("STATUS="), r.receive(WAIT));
        assertTrue(n.watchdog());
        assertEquals(Optional.of("WATCHDOG=1"), r.receive(WAIT));
        assertTrue(n.stopping());
        assertEquals(Optional.of("STOPPING=1"), r.receive(WAIT));
        // a newline in a status would start a new assignment
        assertTrue(n.status("waiting for the container runtime:\nconnection refused"));
        assertEquals(Optional.of("STATUS=waiting for the container runtime: connection refused"), r.receive(WAIT));
        assertEquals(Optional.empty(), r.receive(Duration.ofMillis(100)));
    }

    @Test
    void withoutNotifySocketNothingIsSentAndNothingThrown() {
        SdNotify n = new SdNotify(Map.of());
        assertFalse(n.enabled());
        assertFalse(n.ready("x"));
        assertFalse(n.status("x"));
        assertFalse(n.watchdog());
        assertFalse(n.stopping());
        assertFalse(new SdNotify(Map.of(SdNotify.NOTIFY_SOCKET, "")).enabled());
    }

    @Test
    void aSocketThatDoesNotExistIsReportedNotThrown() {
        SdNotify n = new SdNotify(Map.of(SdNotify.NOTIFY_SOCKET, dir.resolve("missing.sock").toString()));
        assertTrue(n.enabled());
        assertFalse(n.ready("x"));
        assertFalse(n.watchdog());
        assertFalse(n.watchdog()); // the repeat is logged at debug
        assertFalse(new SdNotify(Map.of(SdNotify.NOTIFY_SOCKET, "@skiff-nobody-" + UUID.randomUUID())).stopping());
    }

    @Test
    void anUnusableAddressDisablesIt() {
        assertFalse(new SdNotify(Map.of(SdNotify.NOTIFY_SOCKET, "relative/notify.sock")).enabled());
        assertFalse(new SdNotify(Map.of(SdNotify.NOTIFY_SOCKET, "/" + "x".repeat(200))).status("x"));
    }

    @Test
    void addressesAreBuiltAsSystemdBuildsThem() {
        UnixAddress path = UnixAddress.of("/run/systemd/notify");
        assertEquals(2 + "/run/systemd/notify".length() + 1, path.length());
        assertEquals(0, path.bytes()[path.length() - 1]);
        UnixAddress abs = UnixAddress.of("@sd");
        assertEquals(2 + 3, abs.length()); // no trailing NUL
        byte[] sunPath = {abs.bytes()[2], abs.bytes()[3], abs.bytes()[4]};
        assertArrayEquals(new byte[] {0, 's', 'd'}, sunPath);
        assertThrows(IllegalArgumentException.class, () -> UnixAddress.of("@" + "x".repeat(108)));
        assertEquals(2 + 108, UnixAddress.of("@" + "x".repeat(107)).length());
    }
}
