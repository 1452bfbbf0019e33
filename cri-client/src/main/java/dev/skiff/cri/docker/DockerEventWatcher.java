package dev.skiff.cri.docker;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Set;

/**
 * The one thread ({@code docker-events}) that keeps the shim's indexes current: it holds Docker's event stream
 * open, resyncs the indexes whenever it (re)connects, re-inspects the object each relevant event names, and drops
 * image answers on image events. While the stream is down (dockerd restarting) the indexes are not live, so calls
 * ask Docker directly; it reconnects with back-off (250 ms doubling to 5 s). A quiet stream is checked with a
 * ping every 30 s, so a dead TCP peer is noticed too.
 */
final class DockerEventWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DockerEventWatcher.class);
    static final String THREAD_NAME = "docker-events";
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration IDLE_CHECK = Duration.ofSeconds(30);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(250);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    /** Container actions that can change what a status or list answer says (exec, attach, top … cannot). */
    static final Set<String> CONTAINER_ACTIONS = Set.of("create", "start", "restart", "die", "stop", "pause", "unpause",
            "oom", "destroy", "rename", "update");

    private final SocketAddress docker;
    private final Runnable ping;
    private final RuntimeIndex containers;
    private final ImageIndex images;
    private final Thread thread;
    private final Object syncedLock = new Object();
    private volatile boolean stopped;
    private volatile DockerEventStream stream;
    private long syncs;

    DockerEventWatcher(SocketAddress docker, Runnable ping, RuntimeIndex containers, ImageIndex images) {
        this.docker = docker;
        this.ping = ping;
        this.containers = containers;
        this.images = images;
        this.thread = new Thread(this::run, THREAD_NAME);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Waits up to {@code timeout} for the first resync; false when it has not happened by then. */
    boolean awaitLive(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (syncedLock) {
            while (syncs == 0) {
                long left = Duration.ofNanos(deadline - System.nanoTime()).toMillis();
                if (left <= 0) {
                    return false;
                }
                syncedLock.wait(left);
            }
        }
        return true;
    }

    private void run() {
        Duration backoff = FIRST_BACKOFF;
        boolean reported = false;
        while (!stopped) {
            try (DockerEventStream s = DockerEventStream.open(docker, CONNECT_TIMEOUT)) {
                stream = s;
                if (stopped) {
                    return;
                }
                // subscribed first, then resynced: whatever happens meanwhile waits in the stream and is applied after
                containers.resync();
                images.changed();
                containers.live(true);
                images.live(true);
                synchronized (syncedLock) {
                    syncs++;
                    syncedLock.notifyAll();
                }
                log.info("Docker event stream connected; index resynced with {} pod containers and sandboxes", containers.size());
                backoff = FIRST_BACKOFF;
                reported = false;
                follow(s);
            } catch (IOException | RuntimeException e) {
                containers.live(false);
                images.live(false);
                if (stopped) {
                    return;
                }
                if (!reported) {
                    log.warn("Docker event stream lost ({}); CRI calls ask Docker directly until it is back", e.toString());
                    reported = true;
                }
            } finally {
                stream = null;
                containers.live(false);
                images.live(false);
            }
            try {
                Thread.sleep(backoff.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
    }

    private void follow(DockerEventStream s) throws IOException {
        while (!stopped) {
            var event = s.next(IDLE_CHECK);
            if (event.isEmpty()) {
                ping.run(); // throws when Docker is gone without closing the stream
                continue;
            }
            apply(event.get());
        }
    }

    /** What one event means for the indexes. */
    void apply(DockerEvent e) {
        switch (e.type()) {
            case "container" -> {
                if (CONTAINER_ACTIONS.contains(e.action())
                        && (e.attributes().containsKey(KubeLabels.TYPE) || containers.knows(e.id()))) {
                    containers.refresh(e.id());
                }
            }
            case "network" -> {
                String container = e.attributes().getOrDefault("container", "");
                if (!container.isEmpty() && containers.knows(container)) {
                    containers.refresh(container);
                }
            }
            case "image" -> images.changed();
            default -> { }
        }
    }

    @Override
    public void close() {
        stopped = true;
        DockerEventStream s = stream;
        if (s != null) {
            s.close();
        }
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(5).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        containers.live(false);
        images.live(false);
    }
}
