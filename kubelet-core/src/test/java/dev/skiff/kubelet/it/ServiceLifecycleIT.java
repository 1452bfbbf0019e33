package dev.skiff.kubelet.it;

import dev.skiff.systemd.DatagramReceiver;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Skiff as systemd runs it (Type=notify, WatchdogSec): started while its Docker Engine is down, it waits and says why
 * (in /healthz and STATUS=), sends READY=1 only once Docker answers and the first sync is done, feeds the watchdog,
 * and on SIGTERM sends STOPPING=1 and exits leaving its pods running. The test owns that Docker Engine (a private
 * dockerd it starts late); the notify socket is a real datagram socket it listens on.
 */
class ServiceLifecycleIT {
    private static final Duration WAIT = Duration.ofSeconds(90);

    @Test
    void waitsForDockerThenReadyWatchdogAndStoppingLeavesThePodRunning() throws Exception {
        PrivateDockerd.requireAvailable();
        Path work = Files.createTempDirectory(Path.of("/tmp"), "svc-");
        String notifyAddress = "@skiff-it-" + UUID.randomUUID();
        PrivateDockerd docker = null;
        try (NotifyCollector notify = new NotifyCollector(new DatagramReceiver(notifyAddress));
             SkiffKubelet kubelet = new SkiffKubelet("--docker-endpoint", "unix://" + work.resolve("docker.sock"))) {
            kubelet.environment(Map.of("NOTIFY_SOCKET", notifyAddress, "WATCHDOG_USEC", "1000000"));
            kubelet.writeManifest("web.yaml", """
                    apiVersion: v1
                    kind: Pod
                    metadata:
                      name: web
                      namespace: svc-it
                    spec:
                      terminationGracePeriodSeconds: 2
                      containers:
                      - name: c
                        image: skiff-test/busybox:1
                        imagePullPolicy: IfNotPresent
                        command: ["sleep", "3600"]
                    """);

            // Docker is not there: Skiff keeps running, says why, and is not READY
            kubelet.startWithoutWaiting();
            String waiting = awaitMessage(notify, m -> m.contains("STATUS=waiting for the container runtime"), kubelet);
            assertTrue(waiting.contains("docker.sock"), waiting);
            SkiffKubelet.Health h = kubelet.healthz();
            assertEquals(500, h.status(), h.body());
            assertTrue(h.body().contains("does not answer"), "healthz says why: " + h.body());
            assertTrue(kubelet.process().isAlive(), "Skiff waits instead of exiting");

            // Docker comes up: Skiff connects, syncs, and only then says READY
            docker = PrivateDockerd.start(work);
            docker.importBusybox("skiff-test/busybox:1");
            List<String> beforeReady = new ArrayList<>();
            String ready = awaitMessage(notify, m -> {
                beforeReady.add(m);
                return m.startsWith("READY=1");
            }, kubelet);
            assertTrue(ready.contains("\nSTATUS="), "READY carries a status line: " + ready);
            assertEquals(200, kubelet.healthz().status(), "healthy once READY");
            assertTrue(beforeReady.stream().noneMatch(m -> m.contains("READY=1") && m != ready));

            Pod web = kubelet.awaitPod("web", KubeletItSupport::allRunning, WAIT, "Running on the private dockerd");
            String containerId = KubeletItSupport.dockerId(web, "c");

            // the watchdog is fed again and again while healthy (its period, WATCHDOG_USEC/2, is SdWatchdogTest's;
            // a busy machine may delay a ping, so this waits for three rather than counting them in a window)
            List<String> window = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (window.stream().filter(m -> m.equals("WATCHDOG=1")).count() < 3 && System.nanoTime() < deadline) {
                notify.receive(Duration.ofMillis(500)).ifPresent(window::add);
            }
            assertTrue(window.stream().filter(m -> m.equals("WATCHDOG=1")).count() >= 3,
                    "three watchdog pings within 30 s, got " + window);

            // SIGTERM: STOPPING=1, a clean exit, the pod keeps running
            int exit = kubelet.stop();
            // the JVM's exit status after SIGTERM and its shutdown hooks; skiff.service lists it in SuccessExitStatus
            assertEquals(143, exit, "SIGTERM is a clean stop");
            assertTrue(kubelet.log().contains("kubelet stopped"), "the loops were closed before the exit");
            List<String> atStop = notify.receiveFor(Duration.ofMillis(500));
            assertTrue(atStop.contains("STOPPING=1"), "STOPPING=1 sent on SIGTERM: " + atStop);
            assertEquals("true", docker.docker("inspect", "-f", "{{.State.Running}}", containerId).trim(),
                    "the pod's container outlives the kubelet");
            assertFalse(kubelet.process().isAlive());
        } finally {
            if (docker != null) {
                docker.close();
            }
            deleteQuietly(work);
        }
    }

    /** Receives datagrams until one matches (watchdog pings included), or fails with the kubelet's log. */
    private static String awaitMessage(NotifyCollector notify, java.util.function.Predicate<String> match,
                                       SkiffKubelet kubelet) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<String> seen = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            Optional<String> m = notify.receive(Duration.ofMillis(500));
            if (m.isPresent()) {
                if (match.test(m.get())) {
                    return m.get();
                }
                if (!m.get().equals("WATCHDOG=1")) {
                    seen.add(m.get());
                }
            }
        }
        throw new AssertionError("no matching notify message within " + WAIT + "; got " + seen + "\n" + kubelet.logTail());
    }

    private static void deleteQuietly(Path dir) {
        try (var all = Files.walk(dir)) {
            all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception e) {
            // a leftover temp dir is harmless
        }
    }

    /**
     * Reads NOTIFY_SOCKET all the time on its own thread, as the service manager does: the kernel queues only
     * net.unix.max_dgram_qlen (10 here) datagrams, so a test busy starting a dockerd would otherwise make the
     * kubelet's sends fail with EAGAIN and lose READY=1.
     */
    private static final class NotifyCollector implements AutoCloseable {
        private final DatagramReceiver socket;
        private final java.util.concurrent.BlockingQueue<String> queue = new java.util.concurrent.LinkedBlockingQueue<>();
        private final Thread reader;
        private volatile boolean closed;

        NotifyCollector(DatagramReceiver socket) {
            this.socket = socket;
            this.reader = new Thread(() -> {
                while (!closed) {
                    socket.receive(Duration.ofMillis(200)).ifPresent(queue::add);
                }
            }, "notify-collector");
            reader.setDaemon(true);
            reader.start();
        }

        Optional<String> receive(Duration timeout) {
            try {
                return Optional.ofNullable(queue.poll(Math.max(1, timeout.toMillis()), java.util.concurrent.TimeUnit.MILLISECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }

        List<String> receiveFor(Duration window) {
            List<String> got = new ArrayList<>();
            long deadline = System.nanoTime() + window.toNanos();
            long left;
            while ((left = deadline - System.nanoTime()) > 0) {
                receive(Duration.ofNanos(left)).ifPresent(got::add);
            }
            return got;
        }

        @Override
        public void close() throws InterruptedException {
            closed = true;
            reader.join(2000);
            socket.close();
        }
    }
}
