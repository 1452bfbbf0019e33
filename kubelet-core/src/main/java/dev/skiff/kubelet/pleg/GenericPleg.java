package dev.skiff.kubelet.pleg;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.ListContainersRequest;
import dev.skiff.cri.v1.ListPodSandboxRequest;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.kubelet.metrics.KubeletMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pod lifecycle event generator, after upstream's {@code pkg/kubelet/pleg/generic.go}: every
 * {@code period} it lists the runtime's sandboxes and containers (two calls, nothing per container),
 * groups them by pod uid, diffs each container's and sandbox's state against the previous relist and
 * queues a {@link PodLifecycleEvent} per change. It also keeps the latest per-pod snapshot for the sync
 * loop, published before the events of the same relist so a consumer of an event sees its cause.
 *
 * <p>A relist that fails keeps the previous state and emits nothing; {@link #healthy()} turns false
 * once no relist has succeeded for the threshold (upstream: 3 minutes).
 */
public final class GenericPleg implements AutoCloseable {
    public static final Duration DEFAULT_PERIOD = Duration.ofSeconds(1);
    public static final int DEFAULT_CAPACITY = 1000;
    public static final Duration DEFAULT_RELIST_THRESHOLD = Duration.ofMinutes(3);

    // the labels the kubelet (and cri-dockerd) put on every pod container
    static final String LABEL_POD_UID = "io.kubernetes.pod.uid";
    static final String LABEL_POD_NAME = "io.kubernetes.pod.name";
    static final String LABEL_POD_NAMESPACE = "io.kubernetes.pod.namespace";

    private static final Logger log = LoggerFactory.getLogger(GenericPleg.class);
    private static final ListPodSandboxRequest ALL_SANDBOXES = ListPodSandboxRequest.getDefaultInstance();
    private static final ListContainersRequest ALL_CONTAINERS = ListContainersRequest.getDefaultInstance();
    private static final Comparator<PodSandbox> SANDBOX_NEWEST_FIRST =
            Comparator.comparingLong(PodSandbox::getCreatedAt).reversed();
    private static final Comparator<Container> CONTAINER_NEWEST_FIRST =
            Comparator.comparingLong(Container::getCreatedAt).reversed();
    private static final long[] BUCKET_BOUNDS_NANOS = {
            ms(1), ms(5), ms(10), ms(25), ms(50), ms(100), ms(250), ms(500), ms(1000), ms(5000)};

    /** The state PLEG compares, as upstream's plegContainerState. */
    enum PlegState { RUNNING, EXITED, UNKNOWN, NON_EXISTENT }

    private final RuntimeService runtime;
    private final Duration period;
    private final Duration relistThreshold;
    private final Clock clock;
    private final BlockingQueue<PodLifecycleEvent> events;
    private final KubeletMetrics metrics;

    private final Object snapshotLock = new Object();
    private volatile PlegSnapshot snapshot = PlegSnapshot.EMPTY;
    /** Clock millis of the start of the last successful relist; 0 = never. */
    private volatile long lastRelistMillis;

    private final Object lifecycleLock = new Object();
    private final Object relistLock = new Object();
    private final Object statsLock = new Object();

    // relist state, guarded by relistLock
    private final ArrayList<PodLifecycleEvent> pending = new ArrayList<>();
    private boolean failing;
    /** System.nanoTime at the start of the last successful relist; 0 = none yet. */
    private long lastRelistNanos;

    // stats, guarded by statsLock
    private final AtomicLong discarded = new AtomicLong();
    private final long[] buckets = new long[BUCKET_BOUNDS_NANOS.length + 1];
    private long relists;
    private long failures;
    private long lastNanos;
    private double ewmaNanos;
    private long maxNanos;

    private ScheduledExecutorService thread;

    public GenericPleg(RuntimeService runtime) {
        this(runtime, new KubeletMetrics());
    }

    /** @param metrics where kubelet_pleg_relist_duration_seconds and kubelet_pleg_relist_interval_seconds go */
    public GenericPleg(RuntimeService runtime, KubeletMetrics metrics) {
        this(runtime, DEFAULT_PERIOD, DEFAULT_CAPACITY, DEFAULT_RELIST_THRESHOLD, Clock.systemUTC(), metrics);
    }

    public GenericPleg(RuntimeService runtime, Duration period, int capacity, Duration relistThreshold, Clock clock) {
        this(runtime, period, capacity, relistThreshold, clock, new KubeletMetrics());
    }

    public GenericPleg(RuntimeService runtime, Duration period, int capacity, Duration relistThreshold, Clock clock,
                       KubeletMetrics metrics) {
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("relist period must be positive: " + period);
        }
        if (capacity < 1) {
            throw new IllegalArgumentException("event capacity must be at least 1: " + capacity);
        }
        this.runtime = runtime;
        this.period = period;
        this.relistThreshold = relistThreshold;
        this.clock = clock;
        this.events = new ArrayBlockingQueue<>(capacity);
        this.metrics = metrics;
    }

    /** Starts relisting every period on a thread named {@code pleg}; the first relist runs at once. */
    public void start() {
        synchronized (lifecycleLock) {
            startLocked();
        }
    }

    private void startLocked() {
        if (thread != null) {
            throw new IllegalStateException("PLEG already started");
        }
        thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pleg");
            t.setDaemon(true);
            return t;
        });
        // fixed delay, as upstream's wait.Until: a slow relist never stacks up behind itself
        thread.scheduleWithFixedDelay(this::relistQuietly, 0, period.toNanos(), TimeUnit.NANOSECONDS);
        log.info("PLEG started, relist period {}", period);
    }

    /** Events, in order; the sync loop takes from here. Bounded: when full, new events are dropped and counted. */
    public BlockingQueue<PodLifecycleEvent> events() {
        return events;
    }

    /** The latest snapshot of the runtime's pods. */
    public PlegSnapshot snapshot() {
        return snapshot;
    }

    public Optional<RuntimePod> pod(String uid) {
        return Optional.ofNullable(snapshot.pods().get(uid));
    }

    public Map<String, RuntimePod> pods() {
        return snapshot.pods();
    }

    /**
     * Waits until a relist that started after {@code after} has been published (upstream's
     * cache.GetNewerThan), or the timeout passes; returns the latest snapshot either way.
     */
    public PlegSnapshot awaitSnapshotAfter(Instant after, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (snapshotLock) {
            while (!snapshot.time().isAfter(after)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                TimeUnit.NANOSECONDS.timedWait(snapshotLock, left);
            }
            return snapshot;
        }
    }

    /** True when the last successful relist started within the threshold (false before the first one). */
    /** When the last relist succeeded, empty before the first. */
    public java.util.Optional<java.time.Instant> lastRelist() {
        long last = lastRelistMillis;
        return last == 0 ? java.util.Optional.empty() : java.util.Optional.of(java.time.Instant.ofEpochMilli(last));
    }

    public Duration relistThreshold() {
        return relistThreshold;
    }

    public boolean healthy() {
        long last = lastRelistMillis;
        return last != 0 && clock.millis() - last <= relistThreshold.toMillis();
    }

    public RelistStats stats() {
        synchronized (statsLock) {
            List<Duration> bounds = Arrays.stream(BUCKET_BOUNDS_NANOS).mapToObj(Duration::ofNanos).toList();
            List<Long> counts = Arrays.stream(buckets).boxed().toList();
            return new RelistStats(relists, failures, Duration.ofNanos(lastNanos), Duration.ofNanos((long) ewmaNanos),
                    Duration.ofNanos(maxNanos), bounds, counts, discarded.get());
        }
    }

    /** Relists now; returns false when the runtime call failed (state kept, nothing emitted). Thread-safe. */
    public boolean relist() {
        synchronized (relistLock) {
            return relistLocked();
        }
    }

    private boolean relistLocked() {
        Instant startedAt = clock.instant();
        long t0 = System.nanoTime();
        if (lastRelistNanos != 0) {
            metrics.plegRelistInterval(t0 - lastRelistNanos); // as upstream: since the last successful relist began
        }
        List<PodSandbox> sandboxes;
        List<Container> containers;
        try {
            sandboxes = runtime.listPodSandbox(ALL_SANDBOXES).getItemsList();
            containers = runtime.listContainers(ALL_CONTAINERS).getContainersList();
        } catch (RuntimeException e) {
            synchronized (statsLock) {
                failures++;
            }
            if (!failing) {
                log.warn("PLEG relist failed, keeping the last state: {}", e.toString());
                failing = true;
            } else {
                log.debug("PLEG relist failed again: {}", e.toString());
            }
            metrics.plegRelisted(System.nanoTime() - t0);
            return false;
        }
        lastRelistNanos = t0;
        if (failing) {
            log.info("PLEG relist succeeded again");
            failing = false;
        }
        Map<String, RuntimePod> current = group(sandboxes, containers);
        Map<String, RuntimePod> previous = snapshot.pods();

        pending.clear();
        for (Map.Entry<String, RuntimePod> e : current.entrySet()) {
            diff(e.getKey(), previous.get(e.getKey()), e.getValue(), pending);
        }
        for (Map.Entry<String, RuntimePod> e : previous.entrySet()) {
            if (!current.containsKey(e.getKey())) {
                diff(e.getKey(), e.getValue(), null, pending);
            }
        }

        synchronized (snapshotLock) {
            snapshot = new PlegSnapshot(snapshot.generation() + 1, startedAt, Collections.unmodifiableMap(current));
            snapshotLock.notifyAll();
        }
        lastRelistMillis = Math.max(1, startedAt.toEpochMilli());

        int dropped = 0;
        for (int i = 0; i < pending.size(); i++) {
            PodLifecycleEvent ev = pending.get(i);
            // upstream: ContainerChanged is not reliable and nobody acts on it, so it never reaches the channel
            if (ev.type() == PodLifecycleEventType.CONTAINER_CHANGED) {
                continue;
            }
            if (!events.offer(ev)) {
                dropped++;
            }
        }
        if (dropped > 0) {
            discarded.addAndGet(dropped);
            log.error("PLEG event queue is full, discarded {} events of this relist", dropped);
        }
        long took = System.nanoTime() - t0;
        record(took);
        metrics.plegRelisted(took);
        return true;
    }

    /** Groups the listed sandboxes and containers by pod uid, each list newest first. */
    static Map<String, RuntimePod> group(List<PodSandbox> sandboxes, List<Container> containers) {
        Map<String, PodParts> parts = new HashMap<>(Math.max(16, sandboxes.size() * 2));
        Map<String, String> uidBySandbox = new HashMap<>(Math.max(16, sandboxes.size() * 2));
        for (PodSandbox s : sandboxes) {
            String uid = s.getMetadata().getUid();
            if (uid.isEmpty()) {
                uid = s.getLabelsOrDefault(LABEL_POD_UID, "");
            }
            if (uid.isEmpty()) {
                continue; // not a kubelet sandbox
            }
            uidBySandbox.put(s.getId(), uid);
            PodParts p = parts.computeIfAbsent(uid, k -> new PodParts());
            p.sandboxes.add(s);
            if (p.name.isEmpty() || s.getCreatedAt() >= p.nameCreatedAt) {
                p.name = s.getMetadata().getName();
                p.namespace = s.getMetadata().getNamespace();
                p.nameCreatedAt = s.getCreatedAt();
            }
        }
        for (Container c : containers) {
            String uid = uidBySandbox.get(c.getPodSandboxId());
            if (uid == null) {
                uid = c.getLabelsOrDefault(LABEL_POD_UID, "");
            }
            if (uid.isEmpty()) {
                continue; // neither its sandbox nor its labels name a pod
            }
            PodParts p = parts.computeIfAbsent(uid, k -> new PodParts());
            p.containers.add(c);
            if (p.name.isEmpty()) {
                p.name = c.getLabelsOrDefault(LABEL_POD_NAME, "");
                p.namespace = c.getLabelsOrDefault(LABEL_POD_NAMESPACE, "");
            }
        }
        Map<String, RuntimePod> pods = new HashMap<>(Math.max(16, parts.size() * 2));
        for (Map.Entry<String, PodParts> e : parts.entrySet()) {
            PodParts p = e.getValue();
            if (p.sandboxes.size() > 1) {
                p.sandboxes.sort(SANDBOX_NEWEST_FIRST);
            }
            if (p.containers.size() > 1) {
                p.containers.sort(CONTAINER_NEWEST_FIRST);
            }
            pods.put(e.getKey(), new RuntimePod(e.getKey(), p.name, p.namespace, p.sandboxes, p.containers));
        }
        return pods;
    }

    /** Appends the events of one pod: sandboxes first, then containers, then what disappeared. */
    static void diff(String uid, RuntimePod old, RuntimePod now, List<PodLifecycleEvent> out) {
        List<PodSandbox> oldSandboxes = old == null ? List.of() : old.sandboxes();
        List<Container> oldContainers = old == null ? List.of() : old.containers();
        List<PodSandbox> newSandboxes = now == null ? List.of() : now.sandboxes();
        List<Container> newContainers = now == null ? List.of() : now.containers();
        for (PodSandbox s : newSandboxes) {
            generate(uid, s.getId(), sandboxState(find(oldSandboxes, s.getId())), sandboxState(s), out);
        }
        for (Container c : newContainers) {
            generate(uid, c.getId(), containerState(findContainer(oldContainers, c.getId())), containerState(c), out);
        }
        for (PodSandbox s : oldSandboxes) {
            if (find(newSandboxes, s.getId()) == null) {
                generate(uid, s.getId(), sandboxState(s), PlegState.NON_EXISTENT, out);
            }
        }
        for (Container c : oldContainers) {
            if (findContainer(newContainers, c.getId()) == null) {
                generate(uid, c.getId(), containerState(c), PlegState.NON_EXISTENT, out);
            }
        }
    }

    /** Upstream's generateEvents: one transition → zero, one or two events. */
    static void generate(String uid, String id, PlegState old, PlegState now, List<PodLifecycleEvent> out) {
        if (old == now) {
            return;
        }
        switch (now) {
            case RUNNING -> out.add(new PodLifecycleEvent(uid, PodLifecycleEventType.CONTAINER_STARTED, id));
            case EXITED -> out.add(new PodLifecycleEvent(uid, PodLifecycleEventType.CONTAINER_DIED, id));
            case UNKNOWN -> out.add(new PodLifecycleEvent(uid, PodLifecycleEventType.CONTAINER_CHANGED, id));
            case NON_EXISTENT -> {
                if (old != PlegState.EXITED) {
                    // it went away without us seeing it die
                    out.add(new PodLifecycleEvent(uid, PodLifecycleEventType.CONTAINER_DIED, id));
                }
                out.add(new PodLifecycleEvent(uid, PodLifecycleEventType.CONTAINER_REMOVED, id));
            }
        }
    }

    static PlegState containerState(Container c) {
        if (c == null) {
            return PlegState.NON_EXISTENT;
        }
        return switch (c.getState()) {
            case CONTAINER_RUNNING -> PlegState.RUNNING;
            case CONTAINER_EXITED -> PlegState.EXITED;
            // upstream: the kubelet does not use "created" yet, so it counts as unknown
            default -> PlegState.UNKNOWN;
        };
    }

    static PlegState sandboxState(PodSandbox s) {
        if (s == null) {
            return PlegState.NON_EXISTENT;
        }
        return s.getState() == PodSandboxState.SANDBOX_READY ? PlegState.RUNNING : PlegState.EXITED;
    }

    private static PodSandbox find(List<PodSandbox> list, String id) {
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i).getId().equals(id)) {
                return list.get(i);
            }
        }
        return null;
    }

    private static Container findContainer(List<Container> list, String id) {
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i).getId().equals(id)) {
                return list.get(i);
            }
        }
        return null;
    }

    private void relistQuietly() {
        try {
            relist();
        } catch (RuntimeException e) {
            // a bug, not the runtime: log and keep the thread alive for the next period
            log.error("PLEG relist crashed", e);
        }
    }

    private void record(long nanos) {
        int b = 0;
        while (b < BUCKET_BOUNDS_NANOS.length && nanos > BUCKET_BOUNDS_NANOS[b]) {
            b++;
        }
        synchronized (statsLock) {
            relists++;
            lastNanos = nanos;
            maxNanos = Math.max(maxNanos, nanos);
            ewmaNanos = relists == 1 ? nanos : 0.8 * ewmaNanos + 0.2 * nanos;
            buckets[b]++;
        }
    }

    private static long ms(long millis) {
        return TimeUnit.MILLISECONDS.toNanos(millis);
    }

    /** Stops the relist thread, waiting up to 5 s for a relist in progress. */
    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }

    public void close(Duration timeout) {
        ScheduledExecutorService t;
        synchronized (lifecycleLock) {
            t = thread;
        }
        if (t == null) {
            return;
        }
        t.shutdown();
        try {
            if (!t.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                t.shutdownNow();
                log.warn("PLEG relist did not finish within {}, interrupted it", timeout);
            }
        } catch (InterruptedException e) {
            t.shutdownNow();
            Thread.currentThread().interrupt();
        }
        log.info("PLEG stopped");
    }

    /** Mutable per-pod accumulator used only while grouping. */
    private static final class PodParts {
        final List<PodSandbox> sandboxes = new ArrayList<>(2);
        final List<Container> containers = new ArrayList<>(4);
        String name = "";
        String namespace = "";
        long nameCreatedAt = Long.MIN_VALUE;
    }
}
