package dev.skiff.cri.docker;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skiff.cri.CriErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Copies each container's stdout/stderr from Docker's logs API into its CRI log file, with no thread per
 * container: every followed stream is a connection on one shared event loop ({@link DockerLogStreams},
 * {@code log-copier-io}) that writes the records as they arrive, and one named thread ({@code log-copier})
 * takes each copier through its steps between streams (ownership, resume point, reconnecting, ending). One copier
 * per container on the host copies at a time ({@link LogCopierLock}: another shim adopting the same container
 * waits); it resumes after the last record already in the file (so a restarted shim neither loses nor repeats
 * lines), reconnects with bounded backoff while the container runs, and ends once the container has exited and
 * its stream is drained. While Docker itself does not answer (dockerd restarting or hung: a state check waits
 * {@link Retry#answerWait} at most, on the event loop, never on the steps thread) a copier waits for it without
 * giving up, since the container may outlive the daemon (live-restore), and says so once.
 */
public final class ContainerLogs implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ContainerLogs.class);
    private static final Duration STOP_WAIT = Duration.ofSeconds(5);
    /** A stream that lasted this long was a good one, whatever ended it. */
    private static final Duration LONG_LIVED = Duration.ofSeconds(10);
    /** An inspect answer is a few kB; more than this is not one. */
    private static final int MAX_INSPECT_BYTES = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * How copiers retry: backoff from {@code min} doubling to {@code max}; after {@code maxFailures} consecutive
     * failed connections to an answering Docker a copier gives up (a Docker that does not answer is waited for).
     * A state check (inspect) that Docker leaves unanswered for {@code answerWait} counts as Docker not answering.
     */
    record Retry(Duration min, Duration max, int maxFailures, Duration answerWait) {
        /** About two minutes of retrying an answering Docker. */
        static final Retry DEFAULT = new Retry(Duration.ofMillis(100), Duration.ofSeconds(5), 30);

        Retry(Duration min, Duration max, int maxFailures) {
            this(min, max, maxFailures, Duration.ofSeconds(30));
        }

        Duration backoff(int failures) {
            if (failures <= 0) {
                return Duration.ofMillis(Math.min(500, max.toMillis()));
            }
            long ms = min.toMillis() << Math.min(failures - 1, 10);
            return Duration.ofMillis(Math.min(ms, max.toMillis()));
        }
    }

    /** The logs and inspect APIs are read directly: docker-java's frame callback cuts messages into 1 KiB pieces and loses their boundaries. */
    private final DockerLogStreams streams;
    /** Every copier's steps between streams, one at a time; none of them blocks for long. */
    private final ScheduledThreadPoolExecutor steps;
    private final Retry retry;
    private final Path lockDir;
    private final Map<String, Copier> copiers = new HashMap<>();
    private boolean closed;

    /** @param endpoint the Docker Engine's address ({@link DockerEndpoint#host}) */
    public ContainerLogs(String endpoint) {
        this(endpoint, Retry.DEFAULT, LogCopierLock.DEFAULT_DIR);
    }

    ContainerLogs(String endpoint, Retry retry) {
        this(endpoint, retry, LogCopierLock.DEFAULT_DIR);
    }

    /** @param lockDir where copiers of every shim on the host take ownership of a container's log */
    ContainerLogs(String endpoint, Retry retry, Path lockDir) {
        this.retry = retry;
        this.lockDir = lockDir;
        this.streams = new DockerLogStreams(DockerEndpoint.host(endpoint));
        this.steps = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "log-copier");
            t.setDaemon(true);
            return t;
        });
        steps.setRemoveOnCancelPolicy(true);
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

    /** Whether a copier is currently at work for the container: copying or waiting to (tests, diagnostics). */
    synchronized boolean isCopying(String containerId) {
        Copier copier = copiers.get(containerId);
        return copier != null && copier.isAlive();
    }

    /**
     * Waits, at most {@code max} and only the first time it is asked for a container, until the container's copier has
     * made its final read: as Docker waits for its log copier before it reports a container's exit, so that whoever
     * reads the log after seeing the exit (the kubelet's FallbackToLogsOnError termination message) finds the
     * container's last lines there. Returns at once for a container nothing copies.
     *
     * @return false when the copier was still at work after {@code max}
     */
    public boolean awaitFinalRead(String containerId, Duration max) {
        Copier copier;
        synchronized (this) {
            copier = copiers.get(containerId);
        }
        return copier == null || copier.awaitFinalRead(max);
    }

    @Override
    public void close() {
        List<Copier> all;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            all = new ArrayList<>(copiers.values());
            copiers.clear();
        }
        all.forEach(Copier::stop);
        steps.shutdownNow();
        streams.close();
    }

    static String shortId(String id) {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }

    /**
     * One container's copier: its writer, its resume point, its current stream. Its steps run on {@link #steps},
     * each scheduling at most the next one, so a copier has one step or one stream pending at any time.
     */
    private final class Copier {
        private final String containerId;
        private final String id;
        private final boolean tty;
        final CriLogWriter writer;
        private volatile boolean stopped;
        private volatile DockerLogStreams.Stream stream;
        /** Docker did not answer at the last look: failures are expected and not logged one by one. */
        private volatile boolean dockerDown;
        private boolean running;
        /** Someone has waited for this copier's final read: later status calls do not wait again. */
        private boolean finalReadAwaited;
        private CountDownLatch done = new CountDownLatch(0);
        // Step state: touched only on the steps thread.
        private LogResumePoint resume;
        private Optional<LogCopierLock> lock = Optional.empty();
        /** The lock directory cannot be used (e.g. not root): copy without ownership rather than not at all. */
        private boolean lockUnavailable;
        private boolean saidWaiting;
        private boolean ended;
        private int failures;
        private long streamBegan;
        private boolean following;

        Copier(String containerId, Path logPath, boolean tty) {
            this.containerId = containerId;
            this.id = shortId(containerId);
            this.tty = tty;
            this.writer = new CriLogWriter(logPath);
        }

        Path path() {
            return writer.path();
        }

        synchronized boolean isAlive() {
            return running;
        }

        synchronized void startIfIdle() {
            if (stopped || running) {
                return;
            }
            running = true;
            done = new CountDownLatch(1);
            ended = false;
            failures = 0;
            saidWaiting = false;
            lock = Optional.empty();
            step(this::acquire, Duration.ZERO);
        }

        boolean awaitFinalRead(Duration max) {
            CountDownLatch latch;
            synchronized (this) {
                if (finalReadAwaited || !running) {
                    return true;
                }
                finalReadAwaited = true;
                latch = done;
            }
            try {
                if (latch.await(max.toMillis(), TimeUnit.MILLISECONDS)) {
                    return true;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            log.info("container {}: its exit is reported before its log copier's final read (still at work after {} ms)",
                    id, max.toMillis());
            return false;
        }

        void stop() {
            stopped = true;
            DockerLogStreams.Stream s = stream;
            if (s != null) {
                s.close(); // its end comes back as a step, which ends the copier
            }
            CountDownLatch latch;
            synchronized (this) {
                latch = done;
            }
            step(this::end, Duration.ZERO); // ends a copier waiting between streams at once
            try {
                if (!latch.await(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.warn("container {}: log copier did not stop within {} s", id, STOP_WAIT.toSeconds());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            writer.close();
        }

        /** Runs {@code action} on the steps thread after {@code delay}; an unexpected failure ends the copier. */
        private void step(Runnable action, Duration delay) {
            Runnable guarded = () -> {
                try {
                    action.run();
                } catch (RuntimeException e) {
                    log.error("container {}: log copying failed: {}", id, e.toString());
                    end();
                }
            };
            try {
                steps.schedule(guarded, delay.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                end(); // closing: nothing runs any more
            }
        }

        /** Takes ownership of the container's log, or waits for it (another shim copies it), then starts copying. */
        private void acquire() {
            if (stopped) {
                end();
                return;
            }
            try {
                lock = LogCopierLock.tryAcquire(lockDir, containerId);
            } catch (IOException e) {
                log.warn("container {}: cannot take the log copier lock in {} ({}); copying without it", id, lockDir, e.toString());
                lockUnavailable = true;
            }
            if (lock.isEmpty() && !lockUnavailable) {
                if (!saidWaiting) {
                    saidWaiting = true;
                    log.info("container {}: another copier (another shim on this Docker Engine) copies its log to {}, waiting",
                            id, path());
                }
                inspect(seen -> {
                    if (stopped || seen == Seen.GONE || seen == Seen.EXITED) {
                        end(); // its owner drains it
                    } else {
                        step(this::acquire, retry.backoff(0));
                    }
                });
                return;
            }
            if (saidWaiting) {
                log.info("container {}: the other log copier is gone, this one takes over", id);
            }
            try {
                // The file is the truth: another copier may have written to it since this one last did.
                resume = writer.recover();
            } catch (IOException e) {
                log.error("container {}: log copying failed: {}", id, e.toString());
                end();
                return;
            }
            log.info("container {}: copying logs to {}{}", id, path(),
                    resume.isNone() ? "" : " after " + CriLogLine.formatTime(resume.last()) + " (x" + resume.countAtLast() + ")");
            connect(true);
        }

        /** Opens one logs API stream; its end comes back as {@link #afterStream}. */
        private void connect(boolean follow) {
            if (stopped) {
                end();
                return;
            }
            following = follow;
            streamBegan = System.nanoTime();
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
            String query = "stdout=1&stderr=1&timestamps=1&follow=" + (follow ? 1 : 0)
                    + (resume.isNone() ? "" : "&since=" + resume.sinceSeconds());
            stream = streams.open("/containers/" + URLEncoder.encode(containerId, StandardCharsets.UTF_8) + "/logs?" + query,
                    new DockerLogStreams.Sink() {
                        @Override
                        public void body(byte[] bytes, int offset, int length) throws IOException {
                            reader.feed(bytes, offset, length, tty);
                        }

                        @Override
                        public void end(int status, boolean clean, String error) {
                            boolean ok = streamEnded(reader, status, clean, error);
                            step(() -> afterStream(ok), Duration.ZERO);
                        }
                    }, follow ? null : retry.answerWait()); // the final read of an exited container ends on a hung Docker too
            if (stopped) {
                stream.close();
            }
        }

        /** On the event loop, as a stream ends: true when it ended by itself, false on an error (said unless expected). */
        private boolean streamEnded(DockerLogFrameReader reader, int status, boolean clean, String error) {
            if (status == 404 || status == 409) {
                // gone, or (409) dead and being removed: its logs go with it; inspect says so next
                log.debug("container {}: logs API answered {}: the container is gone or being removed", id, status);
                return true;
            }
            if (stopped) {
                return true;
            }
            if (status != 0 && status != 200) {
                log.warn("container {}: logs API answered {}: {}", id, status, error);
                return false;
            }
            if (clean && reader.insideFrame()) {
                clean = false;
                error = "log stream ended inside a frame";
            }
            if (!clean) {
                if (!dockerDown) {
                    log.warn("container {}: log stream broke: {}", id, error);
                }
                return false;
            }
            reader.finish();
            return true;
        }

        private void afterStream(boolean clean) {
            stream = null;
            if (stopped) {
                end();
                return;
            }
            if (!following) {
                log.info("container {}: exited, log copying ends", id);
                end();
                return;
            }
            boolean longLived = System.nanoTime() - streamBegan > LONG_LIVED.toNanos();
            inspect(seen -> afterInspect(clean, longLived, seen));
        }

        private void afterInspect(boolean clean, boolean longLived, Seen seen) {
            if (stopped) {
                end();
                return;
            }
            if (seen == Seen.DOCKER_DOWN) {
                // dockerd restarting or hung: its containers may survive it (live-restore), so wait, quietly
                if (!dockerDown) {
                    dockerDown = true;
                    log.warn("container {}: Docker does not answer, log copying waits for it", id);
                }
                step(() -> connect(true), retry.max());
                return;
            }
            if (dockerDown) {
                dockerDown = false;
                failures = 0;
                log.info("container {}: Docker answers again, log copying goes on", id);
            }
            if (seen == Seen.GONE) {
                log.info("container {}: gone, log copying ends", id);
                end();
                return;
            }
            if (clean && seen == Seen.EXITED) {
                // A followed stream can end a moment before Docker stores the last messages
                // of an exited container: read once more without following; the skipper drops repeats.
                connect(false);
                return;
            }
            failures = clean || longLived ? (clean ? 0 : 1) : failures + 1;
            if (failures > retry.maxFailures()) {
                log.error("container {}: giving up copying logs after {} failed connections", id, failures);
                end();
                return;
            }
            step(() -> connect(true), retry.backoff(failures));
        }

        /** The copier's run is over: file handle and ownership let go. Idempotent. */
        private void end() {
            CountDownLatch latch;
            synchronized (this) {
                if (ended || !running) {
                    return;
                }
                ended = true;
                running = false;
                latch = done;
            }
            DockerLogStreams.Stream s = stream;
            if (s != null) {
                s.close();
            }
            writer.suspend();
            lock.ifPresent(LogCopierLock::release);
            lock = Optional.empty();
            latch.countDown();
        }

        /**
         * Asks Docker what it says of the container now, on the event loop, and goes on with {@code then} as a step: a
         * Docker that does not answer within {@link Retry#answerWait} holds up no other copier's steps.
         */
        private void inspect(Consumer<Seen> then) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            stream = streams.open("/containers/" + URLEncoder.encode(containerId, StandardCharsets.UTF_8) + "/json",
                    new DockerLogStreams.Sink() {
                        @Override
                        public void body(byte[] bytes, int offset, int length) throws IOException {
                            if (body.size() + length > MAX_INSPECT_BYTES) {
                                throw new IOException("inspect answer larger than " + MAX_INSPECT_BYTES + " bytes");
                            }
                            body.write(bytes, offset, length);
                        }

                        @Override
                        public void end(int status, boolean clean, String error) {
                            Seen seen = seen(status, clean, error, body.toByteArray());
                            step(() -> {
                                stream = null;
                                then.accept(seen);
                            }, Duration.ZERO);
                        }
                    }, retry.answerWait());
            if (stopped) {
                stream.close();
            }
        }

        /** What an inspect answer says of the container. */
        private Seen seen(int status, boolean clean, String error, byte[] body) {
            if (status == 404) {
                return Seen.GONE;
            }
            if (status == 0) {
                return Seen.DOCKER_DOWN; // refused, cut or left unanswered: dockerd stopped, restarting or hung
            }
            if (status == 200 && clean) {
                try {
                    return JSON.readTree(body).path("State").path("Running").asBoolean(false) ? Seen.RUNNING : Seen.EXITED;
                } catch (IOException e) {
                    error = "unreadable answer: " + e.getMessage();
                }
            }
            if (!stopped) {
                log.warn("container {}: inspect failed while copying logs: HTTP {}: {}", id, status, error);
            }
            return Seen.RUNNING; // unknown: try again after the backoff
        }
    }

    /** A container as a copier sees it between two connections. */
    private enum Seen { RUNNING, EXITED, GONE, DOCKER_DOWN }
}
