package dev.skiff.kubelet.prober;

import dev.skiff.kubelet.kuberuntime.manager.PodRef;
import dev.skiff.kubelet.metrics.ProberMetrics;
import dev.skiff.kubelet.prober.results.ProbeResult;
import dev.skiff.kubelet.prober.results.ResultUpdate;
import dev.skiff.kubelet.prober.results.ResultsManager;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Upstream's prober_manager.go: one worker per (pod, container, probe type), added when a pod syncs and stopped
 * when it terminates; three result caches (liveness, readiness, startup) whose changes it reports; and the
 * {@code started}/{@code ready} answers the status needs. Workers are tasks on one scheduler, not threads: a tick
 * decides, the probe runs on non-blocking I/O (exec on a small pool), and its completion records the result.
 */
public final class ProbeManager implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProbeManager.class);

    /** A container's liveness or startup probe failed: it is to be killed, with this message. */
    public record ProbeFailure(ProbeType type, String message) {
    }

    /**
     * What the status generator takes, per container name, for containers that have a probe of that kind: whether
     * the container started (startup probe) and is ready (readiness probe).
     */
    public record ProbeStates(Map<String, Boolean> started, Map<String, Boolean> ready) {
    }

    private record Scheduled(ProbeWorker worker, ScheduledFuture<?> ticks) {
    }

    private final ProbeRunner runner;
    private final Function<String, Optional<PodStatus>> statuses;
    private final ScheduledExecutorService scheduler;
    private final AutoCloseable resources;
    private final Clock clock;
    private final Instant start;
    private final ProberMetrics metrics;
    private final Map<ProbeKey, Scheduled> workers = new ConcurrentHashMap<>();
    private final ResultsManager liveness = new ResultsManager();
    private final ResultsManager readiness = new ResultsManager();
    private final ResultsManager startup = new ResultsManager();
    /** pod uid → container id → why a probe had it killed, for its lastState until the instance is gone. */
    private final Map<String, Map<String, String>> killMessages = new ConcurrentHashMap<>();

    /**
     * @param runner    runs one probe
     * @param statuses  the pod's latest status by uid (container ids, states, start times, started)
     * @param scheduler the probes' clock: every worker's tick runs on it; closed with the manager
     * @param resources what else the manager owns and closes (the runner's network and pools)
     */
    public ProbeManager(ProbeRunner runner, Function<String, Optional<PodStatus>> statuses,
                        ScheduledExecutorService scheduler, AutoCloseable resources, Clock clock) {
        this(runner, statuses, scheduler, resources, clock, new ProberMetrics());
    }

    /** @param metrics where the probes' results are counted ({@code /metrics/probes}) */
    public ProbeManager(ProbeRunner runner, Function<String, Optional<PodStatus>> statuses,
                        ScheduledExecutorService scheduler, AutoCloseable resources, Clock clock, ProberMetrics metrics) {
        this.metrics = metrics;
        this.runner = runner;
        this.statuses = statuses;
        this.scheduler = scheduler;
        this.resources = resources;
        this.clock = clock;
        this.start = clock.instant();
    }

    /** Hears every change of a cached result (upstream's three Updates() channels), on the prober's threads. */
    public void onUpdate(Consumer<ResultUpdate> listener) {
        liveness.onUpdate(listener);
        readiness.onUpdate(listener);
        startup.onUpdate(listener);
    }

    /** Hears every change of a cached readiness result, before the {@link #onUpdate} listeners. */
    public void onReadinessUpdate(Consumer<ResultUpdate> listener) {
        readiness.onUpdate(listener);
    }

    /** Upstream AddPod: starts the workers of the pod's probes that are not running yet. */
    public void addPod(Pod pod) {
        List<Container> probed = new ArrayList<>(pod.getSpec().getContainers());
        if (pod.getSpec().getInitContainers() != null) {
            // sidecars (restartable init containers) are probed like app containers
            pod.getSpec().getInitContainers().stream().filter(c -> "Always".equals(c.getRestartPolicy()))
                    .forEach(probed::add);
        }
        for (Container c : probed) {
            for (ProbeType type : ProbeType.values()) {
                if (type.of(c) != null) {
                    workers.computeIfAbsent(new ProbeKey(pod.getMetadata().getUid(), c.getName(), type),
                            k -> schedule(new ProbeWorker(pod, c, type, results(type), metrics)));
                }
            }
        }
    }

    /** Upstream StopLivenessAndStartup: a terminating pod's containers are no longer killed by probes. */
    public void stopLivenessAndStartup(Pod pod) {
        stopIf(k -> k.podUid().equals(pod.getMetadata().getUid()) && k.type() != ProbeType.READINESS);
    }

    /** Upstream RemovePod: stops every worker of the pod. */
    public void removePod(Pod pod) {
        removePod(pod.getMetadata().getUid());
    }

    public void removePod(String uid) {
        stopIf(k -> k.podUid().equals(uid));
        killMessages.remove(uid);
    }

    /** The pod sync kills this container: keep its probe failure's message for the instance's terminated state. */
    public void recordKill(String podUid, String containerId) {
        failure(containerId).ifPresent(f -> killMessages.computeIfAbsent(podUid, u -> new ConcurrentHashMap<>())
                .put(containerId, f.message()));
    }

    /**
     * Container id → "Liveness probe failed: …" for the pod's instances a probe had killed, among {@code present}
     * (the instances the runtime still has); the others are forgotten.
     */
    public Map<String, String> killMessages(String podUid, java.util.Collection<String> present) {
        Map<String, String> m = killMessages.get(podUid);
        if (m == null) {
            return Map.of();
        }
        m.keySet().retainAll(Set.copyOf(present));
        return Map.copyOf(m);
    }

    /** Upstream CleanupPods: stops the workers of pods not in {@code desired}. */
    public void cleanupPods(Set<String> desired) {
        stopIf(k -> !desired.contains(k.podUid()));
        killMessages.keySet().retainAll(desired);
    }

    /**
     * Upstream UpdatePodStatus's answers, per container name: {@code started} for containers with a startup probe,
     * {@code ready} for containers with a readiness probe, given the id of each running container's newest instance.
     * A readiness probe that has not passed yet is run at once, as upstream triggers it.
     */
    public ProbeStates states(Pod pod, Function<String, Optional<String>> runningContainerId) {
        String uid = pod.getMetadata().getUid();
        Map<String, Boolean> started = new HashMap<>();
        Map<String, Boolean> ready = new HashMap<>();
        for (Map.Entry<ProbeKey, Scheduled> e : workers.entrySet()) {
            ProbeKey k = e.getKey();
            if (!k.podUid().equals(uid) || k.type() == ProbeType.LIVENESS) {
                continue;
            }
            Optional<String> id = runningContainerId.apply(k.containerName());
            if (k.type() == ProbeType.STARTUP) {
                started.put(k.containerName(),
                        id.flatMap(startup::get).map(r -> r == ProbeResult.SUCCESS).orElse(false));
            } else {
                boolean isReady = id.flatMap(readiness::get).map(r -> r == ProbeResult.SUCCESS).orElse(false);
                ready.put(k.containerName(), isReady);
                if (!isReady && id.isPresent()) {
                    trigger(e.getValue().worker());
                }
            }
        }
        return new ProbeStates(started, ready);
    }

    /** The liveness or startup failure of this container instance, when one of them failed. */
    public Optional<ProbeFailure> failure(String containerId) {
        if (liveness.get(containerId).orElse(null) == ProbeResult.FAILURE) {
            return Optional.of(new ProbeFailure(ProbeType.LIVENESS, "Liveness probe failed: " + liveness.output(containerId)));
        }
        if (startup.get(containerId).orElse(null) == ProbeResult.FAILURE) {
            return Optional.of(new ProbeFailure(ProbeType.STARTUP, "Startup probe failed: " + startup.output(containerId)));
        }
        return Optional.empty();
    }

    /** The cached result of one kind of probe of a container instance. */
    public Optional<ProbeResult> result(ProbeType type, String containerId) {
        return results(type).get(containerId);
    }

    /** How many workers run (for tests and leak checks). */
    public int workerCount() {
        return workers.size();
    }

    private ResultsManager results(ProbeType type) {
        return switch (type) {
            case LIVENESS -> liveness;
            case READINESS -> readiness;
            case STARTUP -> startup;
        };
    }

    private Scheduled schedule(ProbeWorker w) {
        long period = w.period().toMillis();
        // upstream: right after a (re)start of the kubelet, spread the first probes over one period
        long first = Duration.between(start, clock.instant()).toMillis() < period
                ? ThreadLocalRandom.current().nextLong(period) : 0;
        log.debug("pod {} container {}: {} probe every {} ms", PodRef.of(w.pod()), w.container().getName(), w.type(),
                period);
        return new Scheduled(w, scheduler.scheduleAtFixedRate(() -> tick(w), first, period, TimeUnit.MILLISECONDS));
    }

    private void trigger(ProbeWorker w) {
        try {
            scheduler.execute(() -> tick(w));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    /** One period of one worker; never throws, or the scheduler would cancel its ticks. */
    private void tick(ProbeWorker w) {
        try {
            String uid = w.pod().getMetadata().getUid();
            ProbeWorker.Step step = w.decide(clock.instant(), statuses.apply(uid).orElse(null));
            if (step instanceof ProbeWorker.Stop stop) {
                log.debug("pod {} container {}: {} probe worker stops: {}", PodRef.of(w.pod()),
                        w.container().getName(), w.type(), stop.why());
                stopIf(k -> k.equals(new ProbeKey(uid, w.container().getName(), w.type())));
            } else if (step instanceof ProbeWorker.Run run) {
                long started = System.nanoTime();
                runner.probe(w.type(), w.pod(), run.status(), w.container(), run.containerId())
                        .whenComplete((verdict, error) -> {
                            if (error != null) {
                                Throwable e = error instanceof java.util.concurrent.CompletionException
                                        && error.getCause() != null ? error.getCause() : error;
                                String why = String.valueOf(e.getMessage());
                                if (w.errored(why)) {
                                    log.warn("pod {} container {}: {}", PodRef.of(w.pod()), w.container().getName(), why);
                                }
                                return;
                            }
                            w.record(run.containerId(), verdict.passed(), verdict.output(), System.nanoTime() - started)
                                    .ifPresent(r -> logResult(w, r, verdict.output()));
                        });
            }
        } catch (RuntimeException e) {
            w.errored(e.toString());
            log.warn("pod {} container {}: {} probe: {}", PodRef.of(w.pod()), w.container().getName(), w.type(),
                    e.toString());
        }
    }

    private static void logResult(ProbeWorker w, ProbeResult r, String output) {
        // upstream logs every failure at V(1) only; the Unhealthy event counts them. One line when it starts.
        if (r == ProbeResult.FAILURE && !w.lastResultRepeated()) {
            log.info("pod {} container {}: {} probe failed: {}", PodRef.of(w.pod()), w.container().getName(), w.type(),
                    output);
        } else if (log.isDebugEnabled()) {
            log.debug("pod {} container {}: {} probe {}: {}", PodRef.of(w.pod()), w.container().getName(), w.type(),
                    r == ProbeResult.FAILURE ? "still failing" : "succeeded", output);
        }
    }

    private void stopIf(java.util.function.Predicate<ProbeKey> which) {
        for (var it = workers.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<ProbeKey, Scheduled> e = it.next();
            if (which.test(e.getKey())) {
                e.getValue().ticks().cancel(false);
                e.getValue().worker().stop();
                it.remove();
            }
        }
    }

    /** Stops every worker and the prober's threads. */
    @Override
    public void close() {
        stopIf(k -> true);
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            resources.close();
        } catch (Exception e) {
            log.warn("closing the prober's resources: {}", e.toString());
        }
    }
}
