package dev.skiff.kubelet.gc;

import dev.skiff.cri.ImageService;
import dev.skiff.cri.RuntimeService;
import dev.skiff.kubelet.kuberuntime.actions.ImagePuller;
import dev.skiff.kubelet.kuberuntime.manager.ContainerGc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The kubelet's garbage collection on one named thread, {@code gc}: containers every {@link #CONTAINER_GC_PERIOD}
 * (upstream ContainerGCPeriod), images every {@link #IMAGE_GC_PERIOD} (upstream ImageGCPeriod; off when the high
 * threshold is 100). A failed pass is logged in one line and the next one runs on schedule. Pods are judged by
 * {@link PodOwnership}: only this kubelet's pods are ever collected.
 */
public final class GarbageCollector implements AutoCloseable {
    public static final Duration CONTAINER_GC_PERIOD = Duration.ofMinutes(1);
    public static final Duration IMAGE_GC_PERIOD = Duration.ofMinutes(5);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final Logger log = LoggerFactory.getLogger(GarbageCollector.class);

    private final ContainerGarbageCollector containers;
    private final ImageGarbageCollector images;
    private final PodOwnership pods;
    private final Duration containerPeriod;
    private final Duration imagePeriod;
    private ScheduledExecutorService executor;
    private boolean closed;
    private boolean containerFailureLogged;
    private boolean imageFailureLogged;

    /**
     * @param podLogsDir    the kubelet's podLogsDir (pod log directories of gone pods are removed from it)
     * @param sandboxImages the sandbox (pause) image names, never removed
     */
    public GarbageCollector(RuntimeService runtime, ImageService imageService, PodOwnership pods, Path podLogsDir,
                            ImageGcPolicy policy, Set<String> sandboxImages, Clock clock) {
        this(new ContainerGarbageCollector(runtime, new ContainerGc(runtime), pods, podLogsDir, clock),
                new ImageGarbageCollector(imageService, runtime, policy, sandboxImages, FsStats.FILE_STORE, clock),
                pods, CONTAINER_GC_PERIOD, IMAGE_GC_PERIOD);
    }

    GarbageCollector(ContainerGarbageCollector containers, ImageGarbageCollector images, PodOwnership pods,
                     Duration containerPeriod, Duration imagePeriod) {
        this.containers = containers;
        this.images = images;
        this.pods = pods;
        this.containerPeriod = containerPeriod;
        this.imagePeriod = imagePeriod;
    }

    /** Schedules both collections; the first container pass after one period, the first image pass at once. */
    public synchronized void start() {
        if (closed || executor != null) {
            return;
        }
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gc");
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(this::collectContainers, containerPeriod.toMillis(), containerPeriod.toMillis(),
                TimeUnit.MILLISECONDS);
        if (images.policy().enabled()) {
            executor.scheduleWithFixedDelay(this::collectImages, 0, imagePeriod.toMillis(), TimeUnit.MILLISECONDS);
            log.info("garbage collection started: containers every {}, images every {} (high {}%, low {}%, min age {})",
                    containerPeriod, imagePeriod, images.policy().highThresholdPercent(),
                    images.policy().lowThresholdPercent(), images.policy().minAge());
        } else {
            log.info("garbage collection started: containers every {}; imageGCHighThresholdPercent is 100, image GC is off",
                    containerPeriod);
        }
    }

    void collectContainers() {
        try {
            ContainerGarbageCollector.Result r = containers.collect();
            if (r.containersRemoved() + r.sandboxesRemoved() + r.logDirsRemoved() > 0 || r.failures() > 0) {
                log.info("container GC: removed {} containers, {} sandboxes, {} pod log dirs; {} failures; "
                                + "{} pods of other owners left alone", r.containersRemoved(), r.sandboxesRemoved(),
                        r.logDirsRemoved(), r.failures(), r.foreignPodsLeft());
            } else {
                log.debug("container GC: nothing to remove ({} pods of other owners left alone)", r.foreignPodsLeft());
            }
            if (containerFailureLogged) {
                log.info("container GC succeeded again");
                containerFailureLogged = false;
            }
        } catch (RuntimeException e) {
            log.warn("container GC failed: {}", e instanceof io.grpc.StatusRuntimeException s ? ImagePuller.goError(s) : e.toString());
            containerFailureLogged = true;
        }
    }

    void collectImages() {
        try {
            ImageGarbageCollector.Result r = images.collect(pods.sourcesReady());
            log.debug("image GC: image filesystem at {}%", r.usagePercent());
            if (imageFailureLogged) {
                log.info("image GC succeeded again");
                imageFailureLogged = false;
            }
        } catch (IOException | RuntimeException e) {
            log.warn("image GC failed: {}", e instanceof io.grpc.StatusRuntimeException s ? ImagePuller.goError(s) : e.toString());
            imageFailureLogged = true;
        }
    }

    /** Stops the thread, waiting (bounded) for a pass in progress. Idempotent. */
    @Override
    public void close() {
        ScheduledExecutorService e;
        synchronized (this) {
            closed = true;
            e = executor;
        }
        if (e == null) {
            return;
        }
        e.shutdownNow();
        try {
            if (!e.awaitTermination(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("garbage collection did not stop within {}", STOP_TIMEOUT);
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }
}
