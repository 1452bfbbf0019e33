package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.transport.DockerHttpClient;
import dev.skiff.cri.CriErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Copies each container's stdout/stderr from Docker's logs API into its CRI log file, one
 * named daemon thread per followed container. One copier per container on the host copies at a
 * time ({@link LogCopierLock}: another shim adopting the same container waits); it resumes after the
 * last record already in the file (so a restarted shim neither loses nor repeats lines), reconnects with bounded
 * backoff while the container runs, and ends once the container has exited and its stream
 * is drained. While Docker itself does not answer (dockerd restarting) a copier waits for it
 * without giving up, since the container may outlive the daemon (live-restore), and says so once.
 */
public final class ContainerLogs implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ContainerLogs.class);
    private static final Duration STOP_WAIT = Duration.ofSeconds(5);

    /**
     * How copiers retry: backoff from {@code min} doubling to {@code max}; after {@code maxFailures} consecutive
     * failed connections to an answering Docker a copier gives up (a Docker that does not answer is waited for).
     */
    record Retry(Duration min, Duration max, int maxFailures) {
        /** About two minutes of retrying an answering Docker. */
        static final Retry DEFAULT = new Retry(Duration.ofMillis(100), Duration.ofSeconds(5), 30);

        Duration backoff(int failures) {
            if (failures <= 0) {
                return Duration.ofMillis(Math.min(500, max.toMillis()));
            }
            long ms = min.toMillis() << Math.min(failures - 1, 10);
            return Duration.ofMillis(Math.min(ms, max.toMillis()));
        }
    }

    private final DockerClient docker;
    /** The logs API is read directly: docker-java's frame callback cuts messages into 1 KiB pieces and loses their boundaries. */
    private final DockerHttpClient http;
    private final Retry retry;
    private final Path lockDir;
    private final Map<String, Copier> copiers = new HashMap<>();
    private boolean closed;

    public ContainerLogs(DockerClient docker) {
        this(docker, Retry.DEFAULT, LogCopierLock.DEFAULT_DIR);
    }

    ContainerLogs(DockerClient docker, Retry retry) {
        this(docker, retry, LogCopierLock.DEFAULT_DIR);
    }

    /** @param lockDir where copiers of every shim on the host take ownership of a container's log */
    ContainerLogs(DockerClient docker, Retry retry, Path lockDir) {
        this.docker = docker;
        this.retry = retry;
        this.lockDir = lockDir;
        if (!(docker instanceof DockerClientImpl impl)) {
            throw new IllegalArgumentException("ContainerLogs needs a DockerClientImpl, got " + docker.getClass().getName());
        }
        this.http = impl.getHttpClient();
    }

    /**
     * Starts (or keeps) copying the container's stdout/stderr into logPath in CRI format;
     * idempotent; the file exists when this returns; resumes after the last line already in
     * the file. tty=true when the container has a TTY (raw, unmultiplexed stream).
     */
    public synchronized void follow(String containerId, Path logPath, boolean tty) {
        if (closed) {
            throw new IllegalStateException("ContainerLogs is closed");
        }
        Copier copier = copiers.get(containerId);
        if (copier != null && !copier.path().equals(logPath)) {
            log.info("container {}: log path changed from {} to {}", shortId(containerId), copier.path(), logPath);
            copier.stop();
            copier = null;
        }
        if (copier == null) {
            copier = new Copier(containerId, logPath, tty);
            copiers.put(containerId, copier);
            try {
                copier.writer.ensureExists();
            } catch (IOException e) {
                // the copier retries opening it with the first line; the kubelet's log manager reports it missing
                log.warn("container {}: cannot create CRI log {}: {}", shortId(containerId), logPath, e.toString());
            }
        }
        copier.startIfIdle();
    }

    /** ReopenContainerLog: close the current file and continue into a fresh file at the same path. */
    public void reopen(String containerId) {
        Copier copier;
        synchronized (this) {
            copier = copiers.get(containerId);
        }
        if (copier == null) {
            throw CriErrors.notFound("container %s has no followed log", containerId);
        }
        try {
            copier.writer.reopen();
            log.info("container {}: reopened CRI log {}", shortId(containerId), copier.path());
        } catch (IOException e) {
            throw CriErrors.internal(e, "cannot reopen log %s of container %s: %s", copier.path(), containerId, e.getMessage());
        }
    }

    /** Stop copying (container removed). Idempotent. */
    public void forget(String containerId) {
        Copier copier;
        synchronized (this) {
            copier = copiers.remove(containerId);
        }
        if (copier != null) {
            copier.stop();
            LogCopierLock.delete(lockDir, containerId);
        }
    }

    /** Whether a copier thread is currently running for the container (tests, diagnostics). */
    synchronized boolean isCopying(String containerId) {
        Copier copier = copiers.get(containerId);
        return copier != null && copier.isAlive();
    }

    @Override
    public void close() {
        List<Copier> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(copiers.values());
            copiers.clear();
        }
        all.forEach(Copier::stop);
    }

    static String shortId(String id) {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }

    /** One container's copier: its writer, its resume point, its thread. */
    private final class Copier {
        private final String containerId;
        private final boolean tty;
        final CriLogWriter writer;
        private volatile LogResumePoint resume;
        private volatile boolean stopped;
        private volatile DockerHttpClient.Response response;
        /** Docker did not answer at the last look: failures are expected and not logged one by one. */
        private volatile boolean dockerDown;
        /** The lock directory cannot be used (e.g. not root): copy without ownership rather than not at all. */
        private volatile boolean lockUnavailable;
        private Thread thread;

        Copier(String containerId, Path logPath, boolean tty) {
            this.containerId = containerId;
            this.tty = tty;
            this.writer = new CriLogWriter(logPath);
        }

        Path path() {
            return writer.path();
        }

        synchronized boolean isAlive() {
            return thread != null && thread.isAlive();
        }

        synchronized void startIfIdle() {
            if (stopped || (thread != null && thread.isAlive())) {
                return;
            }
            thread = new Thread(this::run, "log-copier-" + shortId(containerId));
            thread.setDaemon(true);
            thread.start();
        }

        void stop() {
            stopped = true;
            DockerHttpClient.Response r = response;
            if (r != null) {
                try {
                    r.close(); // unblocks the copier's read
                } catch (RuntimeException ignored) {
                    // already closed
                }
            }
            Thread t;
            synchronized (this) {
                t = thread;
            }
            if (t != null) {
                t.interrupt();
                try {
                    t.join(STOP_WAIT.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            writer.close();
        }

        private void run() {
            String id = shortId(containerId);
            Optional<LogCopierLock> lock = Optional.empty();
            try {
                lock = awaitOwnership();
                if (lock.isEmpty() && !lockUnavailable) {
                    return; // stopped, or the container ended while another copier owned its log
                }
                // The file is the truth: another copier may have written to it since this one last did.
                resume = writer.recover();
                log.info("container {}: copying logs to {}{}", id, path(),
                        resume.isNone() ? "" : " after " + CriLogLine.formatTime(resume.last()) + " (x" + resume.countAtLast() + ")");
                int failures = 0;
                while (!stopped) {
                    long began = System.nanoTime();
                    boolean clean = copyOnce(true);
                    boolean longLived = System.nanoTime() - began > Duration.ofSeconds(10).toNanos();
                    if (stopped) {
                        break;
                    }
                    Seen seen = inspect();
                    if (seen == Seen.DOCKER_DOWN) {
                        // dockerd restarting: its containers may survive it (live-restore), so wait, quietly
                        if (!dockerDown) {
                            dockerDown = true;
                            log.warn("container {}: Docker does not answer, log copying waits for it", id);
                        }
                        Thread.sleep(retry.max().toMillis());
                        continue;
                    }
                    if (dockerDown) {
                        dockerDown = false;
                        failures = 0;
                        log.info("container {}: Docker answers again, log copying goes on", id);
                    }
                    if (seen == Seen.GONE) {
                        log.info("container {}: gone, log copying ends", id);
                        break;
                    }
                    if (clean && seen == Seen.EXITED) {
                        // A followed stream can end a moment before Docker stores the last messages
                        // of an exited container: read once more without following; the skipper drops repeats.
                        copyOnce(false);
                        log.info("container {}: exited, log copying ends", id);
                        break;
                    }
                    failures = clean || longLived ? (clean ? 0 : 1) : failures + 1;
                    if (failures > retry.maxFailures()) {
                        log.error("container {}: giving up copying logs after {} failed connections", id, failures);
                        break;
                    }
                    Thread.sleep(retry.backoff(failures).toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException | RuntimeException e) {
                log.error("container {}: log copying failed: {}", id, e.toString());
            } finally {
                writer.suspend();
                lock.ifPresent(LogCopierLock::release);
            }
        }

        /**
         * Waits until this copier owns the container's log; empty when it was stopped, when the container ended
         * meanwhile (its owner drains it), or when no lock can be taken at all (then it copies without one).
         */
        private Optional<LogCopierLock> awaitOwnership() throws InterruptedException {
            boolean said = false;
            while (!stopped) {
                try {
                    Optional<LogCopierLock> lock = LogCopierLock.tryAcquire(lockDir, containerId);
                    if (lock.isPresent()) {
                        if (said) {
                            log.info("container {}: the other log copier is gone, this one takes over", shortId(containerId));
                        }
                        return lock;
                    }
                } catch (IOException e) {
                    log.warn("container {}: cannot take the log copier lock in {} ({}); copying without it",
                            shortId(containerId), lockDir, e.toString());
                    lockUnavailable = true;
                    return Optional.empty();
                }
                if (!said) {
                    said = true;
                    log.info("container {}: another copier (another shim on this Docker Engine) copies its log to {}, waiting",
                            shortId(containerId), path());
                }
                Seen seen = inspect();
                if (seen == Seen.GONE || seen == Seen.EXITED) {
                    return Optional.empty();
                }
                Thread.sleep(retry.backoff(0).toMillis());
            }
            return Optional.empty();
        }

        /** One logs API connection; true when the stream ended by itself, false on an error. */
        private boolean copyOnce(boolean follow) {
            LogResumePoint.Skipper skipper = resume.skipper();
            DockerLogFrameReader reader = new DockerLogFrameReader(line -> {
                if (stopped || !skipper.isNew(line.time())) {
                    return;
                }
                try {
                    writer.write(line);
                } catch (IOException e) {
                    return; // logged by the writer; the line is lost, the copier goes on
                }
                resume = resume.next(line.time());
            });
            String query = "stdout=1&stderr=1&timestamps=1&follow=" + (follow ? 1 : 0) + (resume.isNone() ? "" : "&since=" + resume.sinceSeconds());
            DockerHttpClient.Request request = DockerHttpClient.Request.builder()
                    .method(DockerHttpClient.Request.Method.GET)
                    .path("/containers/" + URLEncoder.encode(containerId, StandardCharsets.UTF_8) + "/logs?" + query)
                    .build();
            if (stopped) {
                return true;
            }
            try (DockerHttpClient.Response response = http.execute(request)) {
                this.response = response;
                if (stopped) {
                    return true;
                }
                int status = response.getStatusCode();
                if (status == 404 || status == 409) {
                    // gone, or (409) dead and being removed: its logs go with it; running() says so next
                    log.debug("container {}: logs API answered {}: the container is gone or being removed",
                            shortId(containerId), status);
                    return true;
                }
                if (status != 200) {
                    String body = new String(response.getBody().readNBytes(4096), StandardCharsets.UTF_8).trim();
                    log.warn("container {}: logs API answered {}: {}", shortId(containerId), status, body);
                    return false;
                }
                reader.copy(response.getBody(), tty);
                reader.finish();
                return true;
            } catch (IOException | RuntimeException e) {
                if (!stopped && !dockerDown) {
                    log.warn("container {}: log stream broke: {}", shortId(containerId), e.toString());
                }
                return false;
            } finally {
                this.response = null;
            }
        }

        /** What Docker says of the container now. */
        private Seen inspect() {
            try {
                InspectContainerResponse c = docker.inspectContainerCmd(containerId).exec();
                return c.getState() != null && Boolean.TRUE.equals(c.getState().getRunning()) ? Seen.RUNNING : Seen.EXITED;
            } catch (NotFoundException e) {
                return Seen.GONE;
            } catch (RuntimeException e) {
                if (dockerUnreachable(e)) {
                    return Seen.DOCKER_DOWN;
                }
                log.warn("container {}: inspect failed while copying logs: {}", shortId(containerId), e.toString());
                return Seen.RUNNING; // unknown: try again after the backoff
            }
        }
    }

    /** Docker's socket refuses or lacks a listener (dockerd stopped or restarting). */
    static boolean dockerUnreachable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.SocketException) {
                return true;
            }
        }
        return false;
    }

    /** A container as a copier sees it between two connections. */
    private enum Seen { RUNNING, EXITED, GONE, DOCKER_DOWN }
}
