package dev.skiff.kubelet.nodeshutdown;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import static dev.skiff.kubelet.nodeshutdown.NodeShutdownManagerTest.await;
import static dev.skiff.kubelet.nodeshutdown.NodeShutdownManagerTest.pod;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The whole D-Bus path with the real busctl and systemd-inhibit, against a private dbus-daemon with a fake logind
 * (see {@link PrivateLogindBus}): the delay raised through the drop-in and a reload, the lock seen by logind, the
 * signal, the pods stopped in order, the lock released, a cancellation, a bus that goes away and comes back.
 */
class PrivateBusNodeShutdownIT {
    @TempDir
    Path dir;
    private PrivateLogindBus bus;
    private NodeShutdownManager manager;
    private final List<String> killed = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Duration> graces = new ConcurrentHashMap<>();

    /** Fails, never skips, without its tools: hack/install-host-deps.sh installs them. */
    @BeforeAll
    static void tools() {
        PrivateLogindBus.missing().ifPresent(m -> fail("no private D-Bus here: " + m
                + " (hack/install-host-deps.sh installs dbus-daemon, systemd, python3-dbus and python3-gi)"));
    }

    @AfterEach
    void cleanUp() {
        if (manager != null) {
            manager.close();
        }
        if (bus != null) {
            bus.close();
        }
    }

    private java.util.concurrent.CompletableFuture<Void> kill(Pod pod, Duration grace, Consumer<PodStatus> fn) {
        killed.add(pod.getMetadata().getName());
        graces.put(pod.getMetadata().getName(), grace);
        return java.util.concurrent.CompletableFuture.completedFuture(null);
    }

    private NodeShutdownManager manager(Duration grace, Duration critical, List<Pod> pods, Path dropIns) {
        LogindInhibitor logind = new LogindInhibitor(dropIns, bus.env(), Duration.ofSeconds(10));
        manager = new NodeShutdownManager(ShutdownGroups.fromConfig(grace, critical), logind, () -> pods, this::kill,
                Duration.ofMillis(200));
        manager.start();
        return manager;
    }

    private static final String SKIFF_LOCK = "\"shutdown\" \"skiff\" \"Skiff has active pods\" \"delay\"";

    @Test
    void shutdownThroughLogindStopsPodsInOrderAndReleasesTheLock() throws Exception {
        Path dropIns = dir.resolve("logind.conf.d");
        bus = PrivateLogindBus.start(dir, Duration.ofSeconds(5), dropIns);
        manager(Duration.ofSeconds(8), Duration.ofSeconds(3),
                List.of(pod("web", null, 30L), pod("etcd", 2_000_001_000, null)), dropIns);
        await("watching", manager::watching);

        assertTrue(Files.readString(dropIns.resolve("99-kubelet.conf")).contains("\nInhibitDelayMaxSec=8\n"));
        assertTrue(bus.logindOutput.contains("killunit systemd-logind.service all 1"), bus.logindOutput.toString());
        assertEquals("t 8000000", bus.busctl("get-property", "org.freedesktop.login1", "/org/freedesktop/login1",
                "org.freedesktop.login1.Manager", "InhibitDelayMaxUSec"), "logind re-read the drop-in");
        assertEquals("a(ssssuu) 1 " + SKIFF_LOCK + " 0 0", bus.inhibitors());

        bus.emitPrepareForShutdown(true);
        await("lock released", () -> inhibitors().equals("a(ssssuu) 0"));
        assertEquals(List.of("web", "etcd"), killed);
        assertEquals(Duration.ofSeconds(5), graces.get("web"));
        assertEquals(Duration.ofSeconds(3), graces.get("etcd"));
        assertTrue(manager.shuttingDown());
        assertFalse(manager.admit(pod("late", null, null)).admitted());

        bus.emitPrepareForShutdown(false);
        await("lock again", () -> inhibitors().equals("a(ssssuu) 1 " + SKIFF_LOCK + " 0 0"));
        assertFalse(manager.shuttingDown());
        assertTrue(manager.admit(pod("late", null, null)).admitted());

        manager.close();
        await("lock released on close", () -> inhibitors().equals("a(ssssuu) 0"));
    }

    @Test
    void aBusThatGoesAwayIsWatchedAgainWhenItComesBack() throws Exception {
        Path dropIns = dir.resolve("logind.conf.d");
        bus = PrivateLogindBus.start(dir, Duration.ofSeconds(30), dropIns);
        manager(Duration.ofSeconds(10), Duration.ZERO, List.of(pod("web", null, null)), dropIns);
        await("watching", manager::watching);
        assertFalse(Files.exists(dropIns), "a long enough delay is left alone");

        bus.stopDaemon();
        await("watch ended", () -> !manager.watching());
        bus.startDaemon();
        bus.startLogind(Duration.ofSeconds(30), dropIns);
        await("watching again", manager::watching);
        assertEquals("a(ssssuu) 1 " + SKIFF_LOCK + " 0 0", bus.inhibitors(), "a fresh lock with the new logind");

        bus.emitPrepareForShutdown(true);
        await("pods stopped", () -> killed.equals(List.of("web")));
        await("lock released", () -> inhibitors().equals("a(ssssuu) 0"));
    }

    @Test
    void aDelayLogindKeepsShortTurnsGracefulShutdownOff() throws Exception {
        // this logind reads its drop-ins elsewhere, so Skiff's drop-in changes nothing
        bus = PrivateLogindBus.start(dir, Duration.ofSeconds(5), dir.resolve("elsewhere"));
        manager(Duration.ofSeconds(20), Duration.ZERO, List.of(), dir.resolve("logind.conf.d"));
        await("off", () -> manager.off().isPresent());
        assertEquals("node shutdown manager was unable to update logind InhibitDelayMaxSec to 20s (shutdownGracePeriod), "
                + "current value of InhibitDelayMaxSec (5s) is less than requested shutdownGracePeriod", manager.off().get());
        assertEquals("a(ssssuu) 0", bus.inhibitors(), "no lock taken");
    }

    private String inhibitors() {
        try {
            return bus.inhibitors();
        } catch (Exception e) {
            return e.toString();
        }
    }
}
