package dev.skiff.kubelet.worker;

import dev.skiff.kubelet.metrics.KubeletMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Per-pod serial workers on a bounded pool, after upstream's {@code pkg/kubelet/pod_workers.go}.
 *
 * <p>Each pod uid moves through syncing → terminating → terminated (then finished). Work for one uid
 * never runs concurrently; different uids run in parallel on {@code pod-worker-N} threads. Updates that
 * arrive while a pod is being worked on coalesce: only the latest runs next. The phase, not the update
 * type, decides the work: once termination is requested every later update is a terminating one, and the
 * grace period can only shrink. A pod whose syncPod reports a terminal phase moves to terminating itself.
 *
 * <p>Two uids with the same full name never run at once: a pod waits to start until the previous owner of
 * its name has finished (upstream's static pod ordering). A CREATE for a uid that is terminating is kept
 * and started, as a fresh pod, once that uid has finished (upstream flags restartRequested and lets
 * housekeeping re-add it; we re-add it at once, which saves a housekeeping period).
 *
 * <p>A unit of work holds a {@code pod-worker-N} thread only while it computes and calls the runtime: what it
 * waits for (grace periods, preStop and postStart hooks, image pulls) it returns as a stage, and the pod's next
 * unit is dispatched when that completes. So one pod's long wait never holds another pod back, however many pods
 * wait at once. Termination asked for while a sync is in flight cancels that sync, and a shorter grace period
 * arriving while the pod terminates cancels the terminating unit: either way the next unit (terminating, with the
 * grace period now in force) starts at once, as upstream cancels the sync's context and re-kills.
 *
 * <p>A sync method that throws (or whose stage fails) is logged in one line and its phase retried after the
 * back-off period (upstream: 10 s), unless a newer update arrives first. Finished pods stay known (so
 * {@link #isPodTerminated} answers) until {@link #syncKnownPods} finds them no longer desired.
 */
public final class PodWorkers<P> implements AutoCloseable {
    /** Upstream kubelet backOffPeriod for failed syncs. */
    public static final Duration DEFAULT_BACKOFF = Duration.ofSeconds(10);
    public static final int DEFAULT_POOL_SIZE = 6;

    private static final Logger log = LoggerFactory.getLogger(PodWorkers.class);

    private final PodSyncer<P> syncer;
    private final Duration backOff;
    private final Clock clock;
    private final ExecutorService pool;
    private final ScheduledExecutorService timer;
    private final KubeletMetrics metrics;

    private final Object lock = new Object();
    private final Map<String, Status<P>> statuses = new HashMap<>();
    private final Map<String, String> startedByFullName = new HashMap<>();
    private final Map<String, List<String>> waitingByFullName = new HashMap<>();
    private boolean podsSynced;
    private boolean closed;

    public PodWorkers(PodSyncer<P> syncer) {
        this(syncer, new KubeletMetrics());
    }

    /** @param metrics where kubelet_pod_worker_duration_seconds goes */
    public PodWorkers(PodSyncer<P> syncer, KubeletMetrics metrics) {
        this(syncer, DEFAULT_POOL_SIZE, DEFAULT_BACKOFF, Clock.systemUTC(), metrics);
    }

    public PodWorkers(PodSyncer<P> syncer, int poolSize, Duration backOff, Clock clock) {
        this(syncer, poolSize, backOff, clock, new KubeletMetrics());
    }

    public PodWorkers(PodSyncer<P> syncer, int poolSize, Duration backOff, Clock clock, KubeletMetrics metrics) {
        if (poolSize < 1) {
            throw new IllegalArgumentException("pool size must be at least 1: " + poolSize);
        }
        this.syncer = syncer;
        this.backOff = backOff;
        this.clock = clock;
        this.metrics = metrics;
        this.pool = Executors.newFixedThreadPool(poolSize, ElasticPool.named("pod-worker-"));
        this.timer = Executors.newSingleThreadScheduledExecutor(ElasticPool.named("pod-worker-retry-"));
    }

    /** Hands an update to the pod's worker; never blocks on the work itself. */
    public void updatePod(UpdatePodOptions<P> options) {
        synchronized (lock) {
            updateLocked(options);
        }
    }

    private void updateLocked(UpdatePodOptions<P> options) {
        if (closed) {
            log.debug("Pod workers closed, ignoring {} of pod {} ({})", options.updateType(), options.fullName(), options.podUid());
            return;
        }
        String uid = options.podUid();
        Instant now = clock.instant();
        Status<P> status = statuses.get(uid);
        boolean firstTime = status == null;
        if (firstTime) {
            status = new Status<>(uid, options.fullName());
            statuses.put(uid, status);
            if (options.updateType() == UpdateType.KILL) {
                // upstream isRuntimePod: a kill as the first word about a uid is for a pod the runtime runs and nobody
                // wants (housekeeping); it must be torn down, so it counts as started and never waits for its name
                status.startedAt = now;
                status.deleted = true;
            } else {
                // pods with one full name start in the order they were first seen
                waitingByFullName.computeIfAbsent(options.fullName(), k -> new ArrayList<>()).add(uid);
            }
        }

        if (!firstTime && status.terminationRequested()) {
            if (options.updateType() == UpdateType.CREATE && status.finished) {
                // the uid was created again after it finished: forget the old incarnation, start afresh
                forget(status);
                updateLocked(options);
                return;
            }
            if (options.updateType() == UpdateType.CREATE) {
                status.restart = options;
                log.info("Pod {} ({}) is terminating, will start again once terminated", status.fullName, uid);
                return;
            }
            if (options.updateType() == UpdateType.KILL && status.restart != null) {
                status.restart = null;
                log.info("Pod {} ({}) restart cancelled by a later kill", status.fullName, uid);
            }
        }
        if (status.finished) {
            log.debug("Pod {} ({}) is finished, ignoring {}", status.fullName, uid, options.updateType());
            return;
        }

        boolean becameTerminating = false;
        if (!status.terminationRequested() && options.updateType() == UpdateType.KILL) {
            status.terminatingAt = now;
            becameTerminating = true;
            log.info("Pod {} ({}) termination requested", status.fullName, uid);
        }
        boolean shortened = false;
        if (status.terminationRequested() && status.terminatedAt == null) {
            Duration before = status.gracePeriod;
            status.gracePeriod = effectiveGracePeriod(status, options.pod(), options.gracePeriodOverride());
            shortened = before != null && status.gracePeriod.compareTo(before) < 0;
        }
        status.pending = options;
        cancelRetry(status);
        InFlight running = status.inFlight;
        if (running != null && ((becameTerminating && running.type == WorkType.SYNC)
                || (shortened && running.type == WorkType.TERMINATING))) {
            // upstream cancels the sync's context: the pod's next unit must not wait for this one's wait
            log.info("Pod {} ({}) {}: cancelling its {} in flight", status.fullName, uid,
                    shortened ? "grace period shortened to " + status.gracePeriod.toSeconds() + "s" : "is to terminate",
                    running.type);
            running.context.cancel();
            if (running.returned) {
                abandon(status); // only waiting: the next unit may start now
            } // else the worker thread abandons it as soon as the sync method returns
        }
        dispatch(status);
    }

    /** Frees the pod from its cancelled unit for its next one; how the old unit ends is ignored. Holds the lock. */
    private void abandon(Status<P> status) {
        status.inFlight = null;
        status.running = false;
    }

    /**
     * Completes once the pod's worker has finished (terminated and cleaned up) or forgotten it; at once for a uid the
     * workers do not know. Never fails.
     */
    public CompletableFuture<Void> whenFinished(String uid) {
        synchronized (lock) {
            Status<P> s = statuses.get(uid);
            if (s == null || s.finished) {
                return CompletableFuture.completedFuture(null);
            }
            return s.finishedFuture.copy();
        }
    }

    /**
     * Reconciles the workers with the desired pod uids (from housekeeping): finished pods that are no longer
     * desired are forgotten; pods not desired and not yet terminating start terminating; returns the pods
     * still tracked. After the first call, unknown uids count as having nothing on the node.
     */
    public Map<String, PodWorkerSync> syncKnownPods(Collection<String> desiredUids) {
        Set<String> desired = desiredUids instanceof Set<String> s ? s : new HashSet<>(desiredUids);
        Map<String, PodWorkerSync> known = new HashMap<>();
        synchronized (lock) {
            podsSynced = true;
            for (Status<P> status : new ArrayList<>(statuses.values())) {
                boolean orphan = !desired.contains(status.uid);
                if (orphan && removeOrTerminateOrphan(status)) {
                    continue;
                }
                known.put(status.uid, new PodWorkerSync(status.workType(), orphan));
            }
        }
        return known;
    }

    /** True once syncTerminatingPod has succeeded for this uid (nothing of it runs any more). */
    public boolean isPodTerminated(String uid) {
        synchronized (lock) {
            Status<P> s = statuses.get(uid);
            return s != null && s.terminatedAt != null;
        }
    }

    public boolean isPodTerminationRequested(String uid) {
        synchronized (lock) {
            Status<P> s = statuses.get(uid);
            return s != null && s.terminationRequested();
        }
    }

    /** True when the uid may still have running containers (unknown uids: until the first syncKnownPods). */
    public boolean couldHaveRunningContainers(String uid) {
        synchronized (lock) {
            Status<P> s = statuses.get(uid);
            return s != null ? s.terminatedAt == null : !podsSynced;
        }
    }

    /** True when the worker has started terminating the pod, so no new container will be started. */
    public boolean shouldPodContainersBeTerminating(String uid) {
        synchronized (lock) {
            Status<P> s = statuses.get(uid);
            return s != null ? s.startedTerminating : podsSynced;
        }
    }

    /** True when the pod's containers and sandbox may be removed from the runtime. */
    public boolean shouldPodRuntimeBeRemoved(String uid) {
        synchronized (lock) {
            Status<P> s = statuses.get(uid);
            return s != null ? s.terminatedAt != null : podsSynced;
        }
    }

    /**
     * True when the pod's directories and volumes may be removed: it is terminated and gone from the desired
     * set, or unknown after the first {@link #syncKnownPods}.
     */
    public boolean shouldPodContentBeRemoved(String uid) {
        synchronized (lock) {
            Status<P> s = statuses.get(uid);
            return s != null ? s.deleted && s.terminatedAt != null : podsSynced;
        }
    }

    /** The phase of every uid the workers track (finished pods report TERMINATED until forgotten). */
    public Map<String, WorkType> knownPods() {
        synchronized (lock) {
            Map<String, WorkType> out = new HashMap<>();
            statuses.forEach((uid, s) -> out.put(uid, s.workType()));
            return out;
        }
    }

    public Optional<WorkType> state(String uid) {
        synchronized (lock) {
            Status<P> s = statuses.get(uid);
            return s == null ? Optional.empty() : Optional.of(s.workType());
        }
    }

    /** True once syncTerminatedPod has succeeded for this uid. */
    public boolean isPodFinished(String uid) {
        synchronized (lock) {
            Status<P> s = statuses.get(uid);
            return s != null && s.finished;
        }
    }

    // ---- the worker ----

    /** Submits one unit of work for the pod unless one is queued or running already. Holds the lock. */
    private void dispatch(Status<P> status) {
        if (status.running || status.pending == null || closed) {
            return;
        }
        status.running = true;
        try {
            pool.execute(() -> runOne(status));
        } catch (RejectedExecutionException e) {
            status.running = false; // closing
        }
    }

    /** Runs the pod's next unit of work up to its first wait; its completion dispatches the next unit. */
    private void runOne(Status<P> status) {
        UpdatePodOptions<P> work;
        WorkType type;
        Duration grace;
        InFlight unit;
        synchronized (lock) {
            if (statuses.get(status.uid) != status || status.pending == null || closed) {
                status.running = false;
                return;
            }
            type = status.workType();
            work = status.pending;
            status.pending = null;
            if (status.startedAt == null) {
                if (status.terminationRequested()) {
                    // killed before it ever started: nothing to stop, nothing to clean
                    log.info("Pod {} ({}) terminated before it started", status.fullName, status.uid);
                    status.terminatedAt = clock.instant();
                    finishLocked(status);
                    return;
                }
                if (!allowStart(status)) {
                    status.pending = work;
                    status.running = false;
                    log.debug("Pod {} ({}) waits for another pod of the same name to terminate", status.fullName, status.uid);
                    return;
                }
                status.startedAt = clock.instant();
            }
            if (type == WorkType.TERMINATING) {
                status.startedTerminating = true;
            }
            status.active = work;
            grace = status.gracePeriod;
            unit = new InFlight(type, new SyncContext(pool));
            status.inFlight = unit;
        }

        CompletionStage<?> stage;
        try {
            stage = switch (type) {
                case SYNC -> syncer.syncPod(work.pod(), work.updateType(), unit.context);
                case TERMINATING -> syncer.syncTerminatingPod(work.pod(), grace, unit.context);
                case TERMINATED -> {
                    syncer.syncTerminatedPod(work.pod());
                    yield CompletableFuture.completedFuture(null);
                }
            };
        } catch (Exception e) {
            stage = CompletableFuture.failedFuture(e);
        }
        synchronized (lock) {
            unit.returned = true;
            if (status.inFlight == unit && unit.context.isCancelled() && !closed) {
                abandon(status); // cancelled while the sync method ran: what it still waits for is not waited for
                dispatch(status);
            }
        }
        stage.whenComplete((result, failure) -> complete(status, unit, work, result, failure));
    }

    /** Records how a unit ended and dispatches the pod's next one (on whichever thread ended the unit). */
    private void complete(Status<P> status, InFlight unit, UpdatePodOptions<P> work, Object result, Throwable error) {
        Throwable failure = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        WorkType type = unit.type;
        synchronized (lock) {
            if (status.inFlight != unit) {
                return; // abandoned (cancelled): its successor already runs or ran
            }
            status.inFlight = null;
            metrics.podWorkerDone(type == WorkType.TERMINATED ? "terminated"
                    : work.updateType().name().toLowerCase(java.util.Locale.ROOT), System.nanoTime() - unit.startedNanos);
            if (failure != null && closed) {
                log.debug("Sync of pod {} ({}) ended by shutdown: {}", status.fullName, status.uid, failure.toString());
                status.running = false;
                return;
            }
            if (failure != null) {
                log.error("Error syncing pod {} ({}) in phase {}, retrying in {}: {}",
                        status.fullName, status.uid, type, backOff, failure.toString());
                if (status.pending == null) {
                    scheduleRetry(status); // a newer update, if any, is the retry
                }
            } else {
                switch (type) {
                    case TERMINATED -> {
                        log.info("Pod {} ({}) finished", status.fullName, status.uid);
                        finishLocked(status);
                        return;
                    }
                    case TERMINATING -> {
                        status.terminatedAt = clock.instant();
                        log.info("Pod {} ({}) terminated", status.fullName, status.uid);
                        requeueLast(status);
                    }
                    case SYNC -> {
                        if (Boolean.TRUE.equals(result) && !status.terminationRequested()) {
                            log.info("Pod {} ({}) reached a terminal phase, terminating", status.fullName, status.uid);
                            status.terminatingAt = clock.instant();
                            status.startedTerminating = true;
                            status.gracePeriod = effectiveGracePeriod(status, work.pod(), null);
                            requeueLast(status);
                        }
                    }
                }
            }
            status.running = false;
            dispatch(status);
        }
    }

    /** The pod has finished (or was killed before starting): release its name, and start a requested restart. Holds the lock. */
    private void finishLocked(Status<P> status) {
        status.finished = true;
        status.running = false;
        status.pending = null;
        cancelRetry(status);
        releaseName(status);
        status.finishedFuture.complete(null);
        UpdatePodOptions<P> restart = status.restart;
        if (restart != null) {
            // the uid was created again while it terminated: forget this incarnation and start afresh
            status.restart = null;
            forget(status);
            updateLocked(restart);
        }
    }

    /** Upstream allowStaticPodStart: no other uid of the name started, and this uid is first in line. Holds the lock. */
    private boolean allowStart(Status<P> status) {
        String startedUid = startedByFullName.get(status.fullName);
        if (startedUid != null) {
            return startedUid.equals(status.uid);
        }
        List<String> waiting = waitingByFullName.getOrDefault(status.fullName, List.of());
        int i = 0;
        while (i < waiting.size()) {
            Status<P> w = statuses.get(waiting.get(i));
            if (w == null || w.terminationRequested() || w.finished) {
                i++; // gone or terminating: it will never start, skip it
                continue;
            }
            if (!w.uid.equals(status.uid)) {
                waiting.subList(0, i).clear();
                return false; // another pod is next in line
            }
            break;
        }
        if (i < waiting.size()) {
            waiting.subList(0, i + 1).clear();
        } else {
            waiting.clear();
        }
        if (waiting.isEmpty()) {
            waitingByFullName.remove(status.fullName);
        }
        startedByFullName.put(status.fullName, status.uid);
        return true;
    }

    /** Frees the pod's full name and wakes the pods waiting for it. Holds the lock. */
    private void releaseName(Status<P> status) {
        if (status.uid.equals(startedByFullName.get(status.fullName))) {
            startedByFullName.remove(status.fullName);
        }
        for (String uid : waitingByFullName.getOrDefault(status.fullName, List.of())) {
            Status<P> w = statuses.get(uid);
            if (w != null && w != status) {
                dispatch(w);
            }
        }
    }

    /** Upstream removeTerminatedWorker for an orphan; true when the pod was forgotten. Holds the lock. */
    private boolean removeOrTerminateOrphan(Status<P> status) {
        status.deleted = true;
        status.restart = null;
        if (!status.finished) {
            if (status.startedAt == null) {
                // never started: nothing ran, forget it (a queued unit sees it gone and does nothing)
                log.info("Pod {} ({}) is no longer desired and never started, forgetting it", status.fullName, status.uid);
            } else {
                if (!status.terminationRequested()) {
                    log.info("Pod {} ({}) is no longer desired, terminating", status.fullName, status.uid);
                    status.terminatingAt = clock.instant();
                    status.gracePeriod = effectiveGracePeriod(status, status.active.pod(), null);
                }
                cancelRetry(status);
                requeueLast(status);
                return false;
            }
        }
        forget(status);
        return true;
    }

    /** Drops every trace of the uid so it can be created again. Holds the lock. */
    private void forget(Status<P> status) {
        statuses.remove(status.uid);
        status.finishedFuture.complete(null);
        cancelRetry(status);
        releaseName(status);
        List<String> waiting = waitingByFullName.get(status.fullName);
        if (waiting != null) {
            waiting.remove(status.uid);
            if (waiting.isEmpty()) {
                waitingByFullName.remove(status.fullName);
            }
        }
    }

    /** Queues the last update again (for a phase transition) unless a newer one waits. Holds the lock. */
    private void requeueLast(Status<P> status) {
        if (status.pending == null && status.active != null) {
            status.pending = status.active;
        }
        dispatch(status);
    }

    private void scheduleRetry(Status<P> status) {
        cancelRetry(status);
        if (closed) {
            return;
        }
        try {
            status.retry = timer.schedule(() -> {
                synchronized (lock) {
                    status.retry = null;
                    if (statuses.get(status.uid) != status || status.finished) {
                        return;
                    }
                    // the kubelet would resync the pod: replay the last update as a SYNC
                    if (status.pending == null && status.active != null) {
                        status.pending = status.active.withType(UpdateType.SYNC);
                    }
                    dispatch(status);
                }
            }, backOff.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private static void cancelRetry(Status<?> status) {
        if (status.retry != null) {
            status.retry.cancel(false);
            status.retry = null;
        }
    }

    /** Upstream calculateEffectiveGracePeriod: can only shrink once set, never below 1 s. */
    private Duration effectiveGracePeriod(Status<P> status, P pod, Duration override) {
        Duration grace = status.gracePeriod;
        if (override != null && (grace == null || override.compareTo(grace) < 0)) {
            grace = override;
        }
        if (grace == null) {
            grace = syncer.gracePeriod(pod);
        }
        return grace.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : grace;
    }

    /**
     * Stops taking work, cancels the units in flight (their waits go on in the runtime, unwatched) and waits up to
     * 10 s for the worker threads.
     */
    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }

    public void close(Duration timeout) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            for (Status<P> s : statuses.values()) {
                cancelRetry(s);
                if (s.inFlight != null) {
                    s.inFlight.context.cancel(); // its waits end; nothing new starts
                }
            }
        }
        timer.shutdownNow();
        pool.shutdown();
        try {
            if (!pool.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("Pod workers still busy after {}, interrupting them", timeout);
                pool.shutdownNow();
            }
        } catch (InterruptedException e) {
            pool.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** A unit of work that has started and not yet ended; {@code returned} once its sync method has returned. */
    private static final class InFlight {
        final WorkType type;
        final SyncContext context;
        final long startedNanos = System.nanoTime();
        boolean returned;

        InFlight(WorkType type, SyncContext context) {
            this.type = type;
            this.context = context;
        }
    }

    /** Per-uid worker state (upstream podSyncStatus); every field is guarded by the workers' lock. */
    private static final class Status<P> {
        final String uid;
        final String fullName;
        UpdatePodOptions<P> pending;
        UpdatePodOptions<P> active;
        UpdatePodOptions<P> restart;
        boolean running;
        Instant startedAt;
        Instant terminatingAt;
        Instant terminatedAt;
        boolean startedTerminating;
        boolean finished;
        boolean deleted;
        Duration gracePeriod;
        ScheduledFuture<?> retry;
        /** The unit running or waiting for its stage; null between units. */
        InFlight inFlight;
        final CompletableFuture<Void> finishedFuture = new CompletableFuture<>();

        Status(String uid, String fullName) {
            this.uid = uid;
            this.fullName = fullName;
        }

        boolean terminationRequested() {
            return terminatingAt != null;
        }

        WorkType workType() {
            if (terminatedAt != null) {
                return WorkType.TERMINATED;
            }
            return terminatingAt != null ? WorkType.TERMINATING : WorkType.SYNC;
        }
    }
}
