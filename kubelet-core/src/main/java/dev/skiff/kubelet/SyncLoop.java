package dev.skiff.kubelet;

import dev.skiff.kubelet.admission.AdmitResult;
import dev.skiff.kubelet.admission.NodeInfo;
import dev.skiff.kubelet.admission.PodAdmitter;
import dev.skiff.kubelet.events.EventRecorder;
import dev.skiff.kubelet.events.EventTarget;
import dev.skiff.kubelet.kuberuntime.manager.KubeRuntimeManager;
import dev.skiff.kubelet.kuberuntime.manager.PodRef;
import dev.skiff.kubelet.pleg.GenericPleg;
import dev.skiff.kubelet.pleg.PodLifecycleEvent;
import dev.skiff.kubelet.source.PodConfig;
import dev.skiff.kubelet.source.PodUpdate;
import dev.skiff.kubelet.status.PodQos;
import dev.skiff.kubelet.status.StatusManager;
import dev.skiff.kubelet.worker.PodWorkers;
import dev.skiff.kubelet.worker.UpdatePodOptions;
import dev.skiff.kubelet.worker.UpdateType;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Upstream syncLoopIteration on one thread ({@code sync-loop}): pod updates from the sources, PLEG events, a
 * 1 s tick that syncs the pods whose resync or back-off is due, and housekeeping every 2 s once every source
 * has been seen. Two small threads move the sources' and PLEG's queues into the loop's single inbox, so the
 * loop blocks on one queue and wakes at once for either.
 */
final class SyncLoop implements AutoCloseable {
    static final Duration TICK = Duration.ofSeconds(1);
    static final Duration HOUSEKEEPING_PERIOD = Duration.ofSeconds(2);
    /** The loop is unhealthy when an iteration has not finished for this long. */
    static final Duration STALL_THRESHOLD = Duration.ofMinutes(2);
    private static final Logger log = LoggerFactory.getLogger(SyncLoop.class);

    private final PodConfig config;
    private final Collection<String> sources;
    private final GenericPleg pleg;
    private final PodManager pods;
    private final PodWorkers<Pod> workers;
    private final PodAdmitter admitter = new PodAdmitter();
    private final Function<Pod, AdmitResult> shutdownAdmission;
    private final NodeInfo node;
    private final StatusManager statuses;
    private final Housekeeping housekeeping;
    private final WorkQueue queue;
    private final Clock clock;
    private final EventRecorder events;

    private final BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running;
    private volatile Instant lastIteration;
    private volatile boolean initialSyncDone;

    /**
     * @param shutdownAdmission runs after the admission predicates, as upstream's node shutdown admit handler: it
     *                          refuses new pods while the node shuts down
     * @param events            where a rejected pod's event goes (reason and message of the admitter)
     */
    SyncLoop(PodConfig config, Collection<String> sources, GenericPleg pleg, PodManager pods, PodWorkers<Pod> workers,
             NodeInfo node, StatusManager statuses, Housekeeping housekeeping, WorkQueue queue, Clock clock,
             Function<Pod, AdmitResult> shutdownAdmission, EventRecorder events) {
        this.events = events;
        this.shutdownAdmission = shutdownAdmission;
        this.config = config;
        this.sources = List.copyOf(sources);
        this.pleg = pleg;
        this.pods = pods;
        this.workers = workers;
        this.node = node;
        this.statuses = statuses;
        this.housekeeping = housekeeping;
        this.queue = queue;
        this.clock = clock;
    }

    synchronized void start() {
        if (running) {
            throw new IllegalStateException("sync loop already started");
        }
        running = true;
        lastIteration = clock.instant();
        threads.add(forward("sync-loop-config", config.updates()));
        threads.add(forward("sync-loop-pleg", pleg.events()));
        Thread loop = new Thread(this::run, "sync-loop");
        loop.setDaemon(true);
        threads.add(loop);
        threads.forEach(Thread::start);
        log.info("sync loop started, waiting for sources {}", sources);
    }

    /** True once every source has delivered its pods (before that, nothing is cleaned up). */
    boolean sourcesReady() {
        return config.seenAllSources(sources);
    }

    /**
     * True once every source's pods have been taken in (and dispatched to their workers) and housekeeping ran once,
     * so runtime pods the sources no longer name are being torn down: the kubelet has caught up with its sources.
     */
    boolean initialSyncDone() {
        return initialSyncDone;
    }

    /** When the loop last entered an iteration (upstream's LatestLoopEntryTime), empty before it started. */
    Optional<java.time.Instant> latestLoopEntry() {
        return running ? Optional.ofNullable(lastIteration) : Optional.empty();
    }

    /** Empty when the loop is iterating, else what is wrong (for /healthz). */
    Optional<String> health() {
        if (!running) {
            return Optional.of("syncloop: not running");
        }
        Duration since = Duration.between(lastIteration, clock.instant());
        if (since.compareTo(STALL_THRESHOLD) > 0) {
            return Optional.of("syncloop: no iteration for " + since.toSeconds() + "s");
        }
        return Optional.empty();
    }

    private Thread forward(String name, BlockingQueue<?> from) {
        Thread t = new Thread(() -> {
            while (running) {
                try {
                    inbox.put(from.take());
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, name);
        t.setDaemon(true);
        return t;
    }

    private void run() {
        Instant nextTick = clock.instant().plus(TICK);
        Instant nextHousekeeping = clock.instant().plus(HOUSEKEEPING_PERIOD);
        while (running) {
            try {
                long waitMs = Math.max(1, Duration.between(clock.instant(), nextTick).toMillis());
                Object item = inbox.poll(Math.min(waitMs, TICK.toMillis()), TimeUnit.MILLISECONDS);
                if (item != null) {
                    handle(item);
                }
                Instant now = clock.instant();
                if (!now.isBefore(nextTick)) {
                    syncDuePods(now);
                    nextTick = now.plus(TICK);
                }
                if (!now.isBefore(nextHousekeeping)) {
                    if (sourcesReady()) {
                        housekeeping.run();
                        initialSyncDone = true;
                    }
                    nextHousekeeping = clock.instant().plus(HOUSEKEEPING_PERIOD);
                }
                lastIteration = clock.instant();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                // one bad iteration must not stop the kubelet
                log.error("sync loop iteration failed: {}", e.toString(), e);
            }
        }
    }

    private void handle(Object item) {
        if (item instanceof PodUpdate u) {
            handle(u);
        } else if (item instanceof PodLifecycleEvent e) {
            pods.get(e.podUid()).filter(p -> pods.isAdmitted(e.podUid()))
                    .ifPresent(p -> dispatch(p, UpdateType.SYNC));
        }
    }

    private void handle(PodUpdate u) {
        switch (u.op()) {
            case ADD -> u.pods().forEach(this::add);
            case UPDATE -> u.pods().forEach(this::update);
            case REMOVE -> u.pods().forEach(this::remove);
            case RECONCILE -> { } // the kubelet owns pod status: nothing to run
        }
    }

    private void add(Pod pod) {
        pods.put(pod);
        if (!admit(pod)) {
            return;
        }
        log.info("pod {} added from source {}", PodRef.of(pod), sourceOf(pod));
        dispatch(pod, UpdateType.CREATE);
    }

    private void update(Pod pod) {
        String uid = pod.getMetadata().getUid();
        boolean wasRejected = pods.isRejected(uid);
        pods.put(pod);
        if (wasRejected) {
            // upstream never re-admits a rejected pod; its status stays Failed
            return;
        }
        dispatch(pod, UpdateType.UPDATE);
    }

    private void remove(Pod pod) {
        String uid = pod.getMetadata().getUid();
        boolean wasRejected = pods.isRejected(uid);
        pods.remove(uid);
        queue.forget(uid);
        log.info("pod {} removed from its source", PodRef.of(pod));
        if (wasRejected) {
            statuses.remove(uid);
            return;
        }
        statuses.markDeleted(uid, clock.instant(), KubeRuntimeManager.gracePeriod(pod));
        dispatch(pod, UpdateType.KILL);
    }

    /** Upstream canAdmitPod; a rejected pod is Failed with the admitter's reason and never runs. */
    private boolean admit(Pod pod) {
        String uid = pod.getMetadata().getUid();
        List<Pod> active = new ArrayList<>();
        for (Pod p : pods.admitted()) {
            String other = p.getMetadata().getUid();
            boolean terminal = statuses.status(other).map(PodStatus::getPhase).map(StatusManager::isTerminal).orElse(false);
            if (!other.equals(uid) && !terminal) {
                active.add(p);
            }
        }
        AdmitResult result = admitter.admit(pod, active, node);
        if (result.admitted()) {
            result = shutdownAdmission.apply(pod);
        }
        if (result.admitted()) {
            return true;
        }
        pods.reject(uid);
        log.warn("pod {} rejected: {}: {}", PodRef.of(pod), result.reason(), result.message());
        events.warning(EventTarget.pod(pod), result.reason(), result.message());
        statuses.setPodStatus(pod, result.rejectedStatus(PodQos.of(pod)));
        return false;
    }

    private void syncDuePods(Instant now) {
        for (String uid : queue.popDue(now)) {
            if (pods.isAdmitted(uid)) {
                pods.get(uid).ifPresent(p -> dispatch(p, UpdateType.SYNC));
            }
        }
    }

    private void dispatch(Pod pod, UpdateType type) {
        var m = pod.getMetadata();
        workers.updatePod(new UpdatePodOptions<>(m.getUid(), m.getNamespace() + "/" + m.getName(), type, pod));
    }

    private static String sourceOf(Pod pod) {
        var a = pod.getMetadata().getAnnotations();
        return a == null ? "?" : a.getOrDefault("kubernetes.io/config.source", "?");
    }

    /** Stops the loop and its forwarding threads, waiting up to 5 s for each. */
    @Override
    public synchronized void close() {
        running = false;
        for (Thread t : threads) {
            t.interrupt();
        }
        for (Thread t : threads) {
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        threads.clear();
    }
}
