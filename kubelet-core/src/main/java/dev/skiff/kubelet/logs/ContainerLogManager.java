package dev.skiff.kubelet.logs;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.ContainerFilter;
import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.ContainerStateValue;
import dev.skiff.cri.v1.ContainerStatus;
import dev.skiff.cri.v1.ContainerStatusRequest;
import dev.skiff.cri.v1.ListContainersRequest;
import dev.skiff.cri.v1.ReopenContainerLogRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Rotates the CRI log files of running containers, as upstream's {@code pkg/kubelet/logs}
 * container log manager: every monitoring period it lists RUNNING containers, and for each whose
 * log ({@code ContainerStatus.log_path}) has reached the maximum size it
 * <ol>
 *   <li>removes leftovers of interrupted rotations ({@code .tmp}, uncompressed twins of {@code .gz}),</li>
 *   <li>removes the oldest rotated files until {@code maxFiles - 2} remain,</li>
 *   <li>gzips those that are not compressed yet,</li>
 *   <li>renames the log to {@code <log>.<yyyyMMdd-HHmmss>} (UTC) and asks the runtime to reopen it
 *       (ReopenContainerLog); if that fails the file is renamed back, to be retried next period.</li>
 * </ol>
 * So at most {@code maxFiles} files exist per container: the current log, the newest rotated file
 * uncompressed (the runtime may have written to it until the reopen, and log shippers may still be
 * reading it), and older ones compressed. Failures are logged, one line per container, and never
 * stop the loop.
 */
public final class ContainerLogManager implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ContainerLogManager.class);
    /** Upstream's {@code containerLogMonitorInterval} default. */
    public static final Duration DEFAULT_MONITORING_PERIOD = Duration.ofSeconds(10);
    static final String THREAD_NAME = "container-log-manager";
    private static final Duration STOP_WAIT = Duration.ofSeconds(10);

    private final RuntimeService runtime;
    private final long maxSizeBytes;
    private final int maxFiles;
    private final Duration period;
    private final Clock clock;
    private final CountDownLatch stop = new CountDownLatch(1);
    private Thread thread;

    /**
     * @param maxSizeBytes log size at which it is rotated ({@code containerLogMaxSize}); negative disables
     *                     rotation, as upstream
     * @param maxFiles     files kept per container including the current one ({@code containerLogMaxFiles}), at least 2
     * @param period       how often logs are checked (upstream: 10 s)
     * @param clock        names the rotated files
     */
    public ContainerLogManager(RuntimeService runtime, long maxSizeBytes, int maxFiles, Duration period, Clock clock) {
        if (runtime == null || period == null || clock == null) {
            throw new IllegalArgumentException("runtime, period and clock are required");
        }
        if (maxFiles <= 1) {
            throw new IllegalArgumentException("invalid containerLogMaxFiles " + maxFiles + ", must be > 1");
        }
        if (maxSizeBytes == 0) {
            throw new IllegalArgumentException("invalid containerLogMaxSize 0: must be positive, or negative to disable rotation");
        }
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("invalid container log monitoring period " + period + ", must be positive");
        }
        this.runtime = runtime;
        this.maxSizeBytes = maxSizeBytes;
        this.maxFiles = maxFiles;
        this.period = period;
        this.clock = clock;
    }

    /** Starts the {@value #THREAD_NAME} daemon thread (at most once); does nothing when rotation is disabled. */
    public synchronized void start() {
        if (thread != null || stop.getCount() == 0) {
            return;
        }
        if (maxSizeBytes < 0) {
            log.info("container log rotation disabled (containerLogMaxSize is negative)");
            return;
        }
        log.info("container log rotation: max size {} bytes, max files {}, every {}", maxSizeBytes, maxFiles, period);
        thread = new Thread(this::run, THREAD_NAME);
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            do {
                rotateLogs();
            } while (!stop.await(period.toMillis(), TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One monitoring pass over all running containers (the loop body; tests call it directly). */
    void rotateLogs() {
        List<Container> containers;
        try {
            containers = runtime.listContainers(ListContainersRequest.newBuilder()
                    .setFilter(ContainerFilter.newBuilder()
                            .setState(ContainerStateValue.newBuilder().setState(ContainerState.CONTAINER_RUNNING)))
                    .build()).getContainersList();
        } catch (RuntimeException e) {
            log.warn("container log rotation: cannot list running containers: {}", e.getMessage());
            return;
        }
        for (Container c : containers) {
            if (stop.getCount() == 0) {
                return;
            }
            // Only running containers write; an exited one needs no fresh empty log.
            if (c.getState() != ContainerState.CONTAINER_RUNNING) {
                continue;
            }
            try {
                processContainer(c.getId(), pod(c.getLabelsMap()));
            } catch (IOException | RuntimeException e) {
                log.warn("container {}{}: log rotation failed: {}", shortId(c.getId()), pod(c.getLabelsMap()), e.getMessage());
            }
        }
    }

    private void processContainer(String id, String pod) throws IOException {
        ContainerStatus status = runtime.containerStatus(ContainerStatusRequest.newBuilder().setContainerId(id).build()).getStatus();
        if (status.getLogPath().isEmpty()) {
            return; // the container has no CRI log
        }
        Path path = Path.of(status.getLogPath());
        long size;
        try {
            size = Files.size(path);
        } catch (NoSuchFileException e) {
            // Lost (e.g. a rotation renamed it and the kubelet died before the reopen): have the runtime recreate it.
            reopen(id);
            log.info("container {}{}: log {} was missing, reopened", shortId(id), pod, path);
            size = Files.size(path);
        }
        if (size < maxSizeBytes) {
            return;
        }
        Path rotated = rotate(id, path);
        log.info("container {}{}: rotated log {} ({} bytes) to {}", shortId(id), pod, path, size,
                rotated.getFileName());
    }

    private Path rotate(String id, Path path) throws IOException {
        List<List<Path>> split = ContainerLogFiles.splitUnused(ContainerLogFiles.siblings(path));
        for (Path unused : split.get(1)) {
            Files.deleteIfExists(unused);
        }
        List<Path> kept = new ArrayList<>(split.get(0));
        kept.sort(ContainerLogFiles.OLDEST_FIRST);
        // The current log and the file rotated now make two; remove oldest first so readers following the newest keep going.
        int keep = Math.max(0, maxFiles - 2);
        while (kept.size() > keep) {
            Files.deleteIfExists(kept.remove(0));
        }
        for (Path p : kept) {
            if (!p.getFileName().toString().endsWith(ContainerLogFiles.GZ)) {
                ContainerLogFiles.compress(p);
            }
        }
        return rotateLatest(id, path);
    }

    private Path rotateLatest(String id, Path path) throws IOException {
        Path rotated = ContainerLogFiles.rotatedName(path, clock.instant());
        Files.move(path, rotated);
        try {
            reopen(id);
        } catch (RuntimeException e) {
            // Put the log back so the next period retries; lines written meanwhile went to the same open file.
            try {
                Files.move(rotated, path);
            } catch (IOException renameBack) {
                e.addSuppressed(renameBack);
                throw new IOException("reopen failed (" + e.getMessage() + ") and the log could not be renamed back from "
                        + rotated + ": " + renameBack.getMessage(), e);
            }
            throw new IOException("reopen failed, log renamed back to " + path + ": " + e.getMessage(), e);
        }
        return rotated;
    }

    private void reopen(String id) {
        runtime.reopenContainerLog(ReopenContainerLogRequest.newBuilder().setContainerId(id).build());
    }

    /** Deletes a container's log and all its rotated files; see {@link ContainerLogFiles#removeLogs}. */
    public static int removeLogs(Path logPath) throws IOException {
        return ContainerLogFiles.removeLogs(logPath);
    }

    /** Stops the loop and waits (bounded) for a pass in progress to finish. Idempotent. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            stop.countDown();
            t = thread;
        }
        if (t == null || t == Thread.currentThread()) {
            return;
        }
        try {
            t.join(STOP_WAIT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (t.isAlive()) {
            log.warn("{} did not stop within {}", THREAD_NAME, STOP_WAIT);
        }
    }

    private static String pod(Map<String, String> labels) {
        String name = labels.get("io.kubernetes.pod.name");
        if (name == null) {
            return "";
        }
        return " (pod " + labels.getOrDefault("io.kubernetes.pod.namespace", "") + "/" + name
                + " uid " + labels.getOrDefault("io.kubernetes.pod.uid", "") + ")";
    }

    private static String shortId(String id) {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }
}
