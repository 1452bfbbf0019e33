package dev.skiff.kubelet.nodeshutdown;

import dev.skiff.kubelet.admission.AdmitResult;
import dev.skiff.kubelet.kuberuntime.manager.PodRef;
import io.fabric8.kubernetes.api.model.Pod;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Graceful node shutdown (KEP-2000, with KEP-2712's priority groups fed from the two classic settings), after
 * upstream's pkg/kubelet/nodeshutdown/nodeshutdown_manager_linux.go. On {@link #start()} its {@code node-shutdown}
 * thread makes sure logind's InhibitDelayMaxSec covers the shutdown period (a drop-in and a logind reload when it
 * does not), takes a {@code delay} inhibitor lock on shutdown and watches {@code PrepareForShutdown}:
 * <ul>
 *   <li>{@code true}: the node is shutting down: new pods are refused ({@link #admit}), the active pods are stopped
 *   group by group, lowest priority first, each group within its share of the period and each pod within
 *   min(group's period, its terminationGracePeriodSeconds), with upstream's final status; then the lock is
 *   released and the machine goes on shutting down;</li>
 *   <li>{@code false}: the shutdown was cancelled: pods are admitted again and the lock is taken again.</li>
 * </ul>
 * Off when shutdownGracePeriod is 0, and off for good, said once in the log, when logind cannot be used at start
 * (as upstream, which does not retry then). A watch that ends later is re-established every second.
 */
public final class NodeShutdownManager implements AutoCloseable {
    static final Duration RECONNECT_PERIOD = Duration.ofSeconds(1);
    private static final Logger log = LoggerFactory.getLogger(NodeShutdownManager.class);

    private final List<ShutdownGroups.PriorityGracePeriod> periods;
    private final ShutdownInhibitor inhibitor;
    private final Supplier<List<Pod>> activePods;
    private final KillPodFunction killPod;
    private final Duration reconnectPeriod;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final CountDownLatch stopped = new CountDownLatch(1);

    private volatile boolean shuttingDown;
    private volatile boolean running;
    private volatile String off;
    private volatile boolean watching;
    private boolean started;
    private Thread thread;
    // owned by the node-shutdown thread
    private ShutdownInhibitor.InhibitLock lock;
    private ShutdownInhibitor.ShutdownWatch watch;

    private sealed interface Event permits Signal, Ended, Stop {
    }

    private record Signal(boolean active) implements Event {
    }

    private record Ended(String why) implements Event {
    }

    private record Stop() implements Event {
    }

    /**
     * @param shutdownGracePeriod             KubeletConfiguration shutdownGracePeriod (0 = off)
     * @param shutdownGracePeriodCriticalPods the part of it kept for critical pods (priority ≥ 2000000000)
     * @param inhibitor                       logind ({@link LogindInhibitor#system()})
     * @param activePods                      upstream GetActivePods: admitted pods not known terminated and not
     *                                        terminal (unless still terminating)
     * @param killPod                         stops one pod ({@link PodWorkersKillPod})
     */
    public NodeShutdownManager(Duration shutdownGracePeriod, Duration shutdownGracePeriodCriticalPods,
                               ShutdownInhibitor inhibitor, Supplier<List<Pod>> activePods, KillPodFunction killPod) {
        this(ShutdownGroups.fromConfig(shutdownGracePeriod, shutdownGracePeriodCriticalPods), inhibitor, activePods,
                killPod, RECONNECT_PERIOD);
    }

    NodeShutdownManager(List<ShutdownGroups.PriorityGracePeriod> periods, ShutdownInhibitor inhibitor,
                        Supplier<List<Pod>> activePods, KillPodFunction killPod, Duration reconnectPeriod) {
        this.periods = List.copyOf(periods);
        this.inhibitor = inhibitor;
        this.activePods = activePods;
        this.killPod = killPod;
        this.reconnectPeriod = reconnectPeriod;
    }

    /** Starts watching for node shutdown (returns at once); a no-op when graceful node shutdown is off. */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("node shutdown manager already started");
        }
        started = true;
        if (periods.isEmpty()) {
            // the default, as upstream's: said once, not warned about
            off = "shutdownGracePeriod is 0 (node shutdown will be immediate)";
            log.info("graceful node shutdown off: {}", off);
            stopped.countDown();
            return;
        }
        running = true;
        thread = new Thread(this::run, "node-shutdown");
        thread.setDaemon(true);
        thread.start();
    }

    /** Upstream Admit: every new pod is refused while the node shuts down. */
    public AdmitResult admit(Pod pod) {
        if (shuttingDown) {
            return NodeShutdownStatus.notAdmitted();
        }
        return AdmitResult.admit();
    }

    /** True from PrepareForShutdown(true) until a cancellation (upstream ShutdownStatus). */
    public boolean shuttingDown() {
        return shuttingDown;
    }

    /** Why graceful node shutdown is off, when it is. */
    public Optional<String> off() {
        return Optional.ofNullable(off);
    }

    /** True while the inhibitor lock is held or a shutdown is being handled, and the watch is in place. */
    boolean watching() {
        return watching;
    }

    private void setOff(String why) {
        off = why;
        log.warn("graceful node shutdown off: {}", why);
    }

    private void run() {
        try {
            try {
                startWatch();
            } catch (InhibitorException e) {
                setOff(e.getMessage());
                return;
            }
            log.info("graceful node shutdown on: pods get {}s when the node shuts down ({})",
                    ShutdownGroups.periodRequested(periods).toSeconds(), describe(periods));
            boolean failing = false;
            while (running) {
                Event e = events.take();
                if (e instanceof Stop) {
                    return;
                } else if (e instanceof Signal s) {
                    handle(s.active());
                } else if (e instanceof Ended ended) {
                    watching = false;
                    closeWatch();
                    log.warn("watch for node shutdown events ended ({}); watching again in {}ms", ended.why(),
                            reconnectPeriod.toMillis());
                    // upstream: retry every second for as long as the kubelet runs
                    while (running && !restart(failing)) {
                        failing = true;
                    }
                    failing = false;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            watching = false;
            closeWatch();
            releaseLock();
            stopped.countDown();
        }
    }

    /** One reconnect attempt after the period; true when the watch is back (or the manager stops). */
    private boolean restart(boolean failedBefore) throws InterruptedException {
        Event e = events.poll(reconnectPeriod.toMillis(), TimeUnit.MILLISECONDS);
        if (e instanceof Stop || !running) {
            return true;
        }
        try {
            startWatch();
            log.info("watching for node shutdown events again");
            return true;
        } catch (InhibitorException ex) {
            if (failedBefore) {
                log.debug("Unable to watch the node for shutdown events: {}", ex.getMessage());
            } else {
                log.warn("Unable to watch the node for shutdown events: {} (retrying every {}ms)", ex.getMessage(),
                        reconnectPeriod.toMillis());
            }
            return false;
        }
    }

    /** Upstream start(): logind's delay covers the period (raised when not), lock taken, watch in place. */
    private void startWatch() throws InhibitorException {
        Duration requested = ShutdownGroups.periodRequested(periods);
        Duration current = inhibitor.currentInhibitDelay();
        if (requested.compareTo(current) > 0) {
            log.info("logind InhibitDelayMaxSec is {}s, less than the shutdown period {}s: raising it",
                    current.toSeconds(), requested.toSeconds());
            try {
                inhibitor.overrideInhibitDelay(requested);
            } catch (InhibitorException e) {
                throw new InhibitorException("unable to override inhibit delay by shutdown manager: " + e.getMessage(), e);
            }
            inhibitor.reloadLogindConf();
            Duration updated = inhibitor.currentInhibitDelay();
            if (requested.compareTo(updated) > 0) {
                throw new InhibitorException("node shutdown manager was unable to update logind InhibitDelayMaxSec to "
                        + requested.toSeconds() + "s (shutdownGracePeriod), current value of InhibitDelayMaxSec ("
                        + updated.toSeconds() + "s) is less than requested shutdownGracePeriod");
            }
        }
        acquireLock();
        try {
            watch = inhibitor.monitorShutdown(new ShutdownInhibitor.ShutdownListener() {
                @Override
                public void prepareForShutdown(boolean active) {
                    events.add(new Signal(active));
                }

                @Override
                public void watchEnded(String why) {
                    events.add(new Ended(why));
                }
            });
        } catch (InhibitorException e) {
            releaseLock();
            throw new InhibitorException("failed to monitor shutdown: " + e.getMessage(), e);
        }
        watching = true;
    }

    private void handle(boolean active) {
        if (active) {
            log.info("node is shutting down (logind PrepareForShutdown): refusing new pods, stopping pods within {}s",
                    ShutdownGroups.periodRequested(periods).toSeconds());
            shuttingDown = true;
            processShutdownEvent();
        } else {
            log.info("node shutdown cancelled (logind PrepareForShutdown false): admitting pods, taking the inhibitor "
                    + "lock again");
            shuttingDown = false;
            try {
                acquireLock();
            } catch (InhibitorException e) {
                log.warn("cannot take the inhibitor lock again after a cancelled shutdown: {}", e.getMessage());
            }
        }
    }

    /** Upstream acquireInhibitLock: the new lock first, then the old one goes. */
    private void acquireLock() throws InhibitorException {
        ShutdownInhibitor.InhibitLock next = inhibitor.inhibitShutdown();
        ShutdownInhibitor.InhibitLock old = lock;
        lock = next;
        if (old != null) {
            old.release();
        }
    }

    private void releaseLock() {
        ShutdownInhibitor.InhibitLock l = lock;
        lock = null;
        if (l != null) {
            l.release();
        }
    }

    private void closeWatch() {
        ShutdownInhibitor.ShutdownWatch w = watch;
        watch = null;
        if (w != null) {
            w.close();
        }
    }

    /** Upstream processShutdownEvent: groups low to high priority, each waited for up to its period; then release. */
    void processShutdownEvent() {
        List<Pod> pods = activePods.get();
        try {
            for (ShutdownGroups.Group group : ShutdownGroups.group(periods, pods)) {
                if (group.pods().isEmpty()) {
                    continue; // no pods in this band: do not wait for it
                }
                Duration period = group.period().gracePeriod();
                log.info("node shutdown: stopping {} pod(s) of priority >= {} within {}s", group.pods().size(),
                        group.period().priority(), period.toSeconds());
                List<CompletableFuture<Void>> kills = new ArrayList<>();
                for (Pod pod : group.pods()) {
                    Duration grace = ShutdownGroups.podGracePeriod(group, pod);
                    log.info("node shutdown: stopping pod {} with grace period {}s", PodRef.of(pod), grace.toSeconds());
                    CompletableFuture<Void> kill;
                    try {
                        kill = killPod.killPod(pod, grace, NodeShutdownStatus::apply);
                    } catch (RuntimeException e) {
                        kill = CompletableFuture.failedFuture(e);
                    }
                    kills.add(kill.whenComplete((v, e) -> {
                        if (e == null) {
                            log.info("node shutdown: pod {} stopped", PodRef.of(pod));
                        } else {
                            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                            log.warn("node shutdown: failed stopping pod {}: {}", PodRef.of(pod), cause.getMessage());
                        }
                    }).exceptionally(e -> null));
                }
                try {
                    CompletableFuture.allOf(kills.toArray(CompletableFuture[]::new))
                            .get(period.toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    log.warn("node shutdown: pods of priority >= {} not all stopped within {}s, going on",
                            group.period().priority(), period.toSeconds());
                } catch (ExecutionException e) {
                    // each kill's failure is logged above
                }
                if (!running) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            releaseLock();
            log.info("node shutdown: pods handled, inhibitor lock released; the node will shut down shortly");
        }
    }

    private static String describe(List<ShutdownGroups.PriorityGracePeriod> periods) {
        List<String> parts = new ArrayList<>();
        for (ShutdownGroups.PriorityGracePeriod p : periods) {
            parts.add((p.priority() >= ShutdownGroups.SYSTEM_CRITICAL_PRIORITY ? "critical pods " : "other pods ")
                    + p.gracePeriodSeconds() + "s");
        }
        return String.join(", then ", parts);
    }

    /** Stops the watch and releases the lock (waits up to 5 s); pods are left as they are. Idempotent. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            t = thread;
            if (!running) {
                return;
            }
            running = false;
        }
        events.add(new Stop());
        if (t != null && t != Thread.currentThread()) {
            t.interrupt(); // ends a shutdown in progress at its next wait
            try {
                if (!stopped.await(5, TimeUnit.SECONDS)) {
                    log.warn("node-shutdown thread did not stop within 5s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
