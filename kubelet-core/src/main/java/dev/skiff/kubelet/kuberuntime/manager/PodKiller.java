package dev.skiff.kubelet.kuberuntime.manager;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.cri.v1.StopContainerRequest;
import dev.skiff.cri.v1.StopPodSandboxRequest;
import dev.skiff.kubelet.events.EventRecorder;
import dev.skiff.kubelet.events.EventTarget;
import dev.skiff.kubelet.events.Reasons;
import dev.skiff.kubelet.kuberuntime.KubeAnnotations;
import dev.skiff.kubelet.kuberuntime.actions.ImagePuller;
import dev.skiff.kubelet.lifecycle.HookRunner;
import dev.skiff.kubelet.pleg.RuntimePod;
import dev.skiff.kubelet.worker.ElasticPool;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.LifecycleHandler;
import io.fabric8.kubernetes.api.model.Pod;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Kills containers and pods as upstream's killContainer, killContainersWithSyncResult and killPodWithSyncResult, and
 * never holds a caller's thread: each kill records Killing, runs the container's preStop hook (cut at the grace
 * period, which it counts against), waits for its turn (a sidecar goes after the app containers and after the
 * sidecars that follow it), then calls StopContainer with what is left of the grace period (at least 2 s): the
 * runtime sends the image's STOPSIGNAL (else SIGTERM) and kills when that runs out. StopContainer blocks for that
 * long, so it runs on {@code container-stop-N} threads, which exist only while stops are in flight.
 *
 * <p>A container already being killed is not killed twice: a second kill joins the first, and when its grace period
 * ends sooner, the first one's deadline moves up (a preStop or turn still waited for is cut there; a StopContainer in
 * flight is sent again with the shorter timeout), as upstream re-kills with the shorter grace period.
 */
public final class PodKiller implements AutoCloseable {
    /** Upstream minimumGracePeriodInSeconds. */
    static final long MINIMUM_GRACE_SECONDS = 2;
    /** How long past the grace period we wait for the runtime before calling the stop failed. */
    private static final Duration STOP_SLACK = Duration.ofSeconds(30);
    static final int MAX_STOP_THREADS = 256;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger log = LoggerFactory.getLogger(PodKiller.class);

    private final RuntimeService runtime;
    private final HookRunner hooks;
    private final ScheduledExecutorService timer;
    private final EventRecorder events;
    private final Function<String, Optional<String>> podIps;
    private final ThreadPoolExecutor stoppers;
    private final Map<String, ContainerKill> inFlight = new ConcurrentHashMap<>();

    /**
     * @param hooks  runs preStop hooks
     * @param timer  grace period deadlines (never blocked)
     * @param podIps pod uid → its IP, for an httpGet preStop hook without a host
     */
    public PodKiller(RuntimeService runtime, HookRunner hooks, ScheduledExecutorService timer, EventRecorder events,
                     Function<String, Optional<String>> podIps) {
        this.runtime = runtime;
        this.hooks = hooks;
        this.timer = timer;
        this.events = events;
        this.podIps = podIps;
        this.stoppers = ElasticPool.create("container-stop-", MAX_STOP_THREADS, Duration.ofSeconds(30));
    }

    /**
     * One container to kill.
     *
     * @param id          its CRI id
     * @param name        its container name
     * @param message     the Killing event's message; "" for upstream's {@code Stopping container NAME}
     * @param grace       its grace period
     * @param annotations its CRI annotations: the preStop hook of a container whose pod spec is gone is read there
     */
    public record Kill(String id, String name, String message, Duration grace, Map<String, String> annotations) {
        public Kill {
            annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
        }
    }

    /**
     * Kills each container independently (a liveness kill, a replaced container).
     *
     * @return completes once they all stopped; fails with a {@link KillException} naming every one that could not be
     */
    public CompletableFuture<Void> killContainers(Pod pod, List<Kill> kills) {
        List<ContainerKill> started = new ArrayList<>();
        for (Kill k : kills) {
            started.add(kill(pod, k, List.of()));
        }
        return collect(PodRef.of(pod), started);
    }

    /**
     * Stops every container that is not exited (app containers first, then sidecars in reverse order, as upstream's
     * terminationOrdering), then every ready sandbox.
     */
    public CompletableFuture<Void> killPod(Pod pod, RuntimePod runtimePod, Duration grace) {
        String podRef = PodRef.of(pod);
        List<String> sidecars = sidecarNames(pod);
        List<Container> apps = new ArrayList<>();
        Map<String, Container> sidecarByName = new java.util.HashMap<>();
        for (Container c : runtimePod.containers()) {
            if (c.getState() == ContainerState.CONTAINER_EXITED) {
                continue;
            }
            if (sidecars.contains(c.getMetadata().getName())) {
                sidecarByName.put(c.getMetadata().getName(), c);
            } else {
                apps.add(c);
            }
        }
        List<ContainerKill> all = new ArrayList<>();
        List<CompletableFuture<Void>> appsDone = new ArrayList<>();
        for (Container c : apps) {
            ContainerKill k = kill(pod, toKill(c, grace), List.of());
            all.add(k);
            appsDone.add(k.done);
        }
        // the last sidecar goes right after the app containers, each earlier one after the ones behind it
        List<CompletableFuture<Void>> before = new ArrayList<>(appsDone);
        for (int i = sidecars.size() - 1; i >= 0; i--) {
            Container c = sidecarByName.get(sidecars.get(i));
            if (c == null) {
                continue;
            }
            ContainerKill k = kill(pod, toKill(c, grace), List.copyOf(before));
            all.add(k);
            before.add(k.done);
        }
        return collect(podRef, all).thenCompose(v -> stopSandboxes(podRef, runtimePod));
    }

    private static Kill toKill(Container c, Duration grace) {
        return new Kill(c.getId(), c.getMetadata().getName(), "", grace, c.getAnnotationsMap());
    }

    private CompletableFuture<Void> stopSandboxes(String podRef, RuntimePod runtimePod) {
        List<PodSandbox> ready = runtimePod.sandboxes().stream()
                .filter(s -> s.getState() == PodSandboxState.SANDBOX_READY).toList();
        if (ready.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.runAsync(() -> {
            List<String> failures = new ArrayList<>();
            for (PodSandbox s : ready) {
                try {
                    runtime.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(s.getId()).build());
                    log.info("pod {}: sandbox {} stopped", podRef, Ids.shortId(s.getId()));
                } catch (RuntimeException e) {
                    failures.add(Ids.shortId(s.getId()) + ": " + ImagePuller.goError(e));
                }
            }
            if (!failures.isEmpty()) {
                throw new CompletionException(new KillException("pod " + podRef + ": cannot stop sandbox "
                        + String.join("; ", failures)));
            }
        }, stoppers);
    }

    /** All the kills' outcome: done, or a KillException naming each container that could not be stopped. */
    private static CompletableFuture<Void> collect(String podRef, List<ContainerKill> kills) {
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<?>[] each = kills.stream().map(k -> k.done.handle((v, e) -> {
            if (e != null) {
                Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                failures.add(Ids.shortId(k.id) + ": " + (cause instanceof RuntimeException re
                        ? ImagePuller.goError(re) : cause.getMessage()));
            }
            return null;
        })).toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(each).thenRun(() -> {
            if (!failures.isEmpty()) {
                throw new CompletionException(new KillException("pod " + podRef + ": cannot stop "
                        + String.join("; ", failures)));
            }
        });
    }

    /** Starts killing one container, or joins (and maybe shortens) a kill of it already under way. */
    private ContainerKill kill(Pod pod, Kill k, List<CompletableFuture<Void>> turn) {
        String message = k.message().isEmpty() ? "Stopping container " + k.name() : k.message();
        events.normal(EventTarget.container(pod, k.name()), Reasons.KILLING, message);
        long grace = Math.max(0, k.grace().toSeconds());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(grace);
        ContainerKill fresh = new ContainerKill(pod, k, deadline);
        log.info("pod {}: killing container {} ({}) with a {}s grace period: {}", fresh.podRef, k.name(),
                Ids.shortId(k.id()), grace, message);
        ContainerKill running = inFlight.putIfAbsent(k.id(), fresh);
        if (running != null) {
            running.shorten(deadline, grace);
            return running;
        }
        fresh.done.whenComplete((v, e) -> inFlight.remove(k.id(), fresh));
        fresh.start(grace, turn);
        return fresh;
    }

    /** The preStop hook of the container: from the pod spec, else (a pod whose spec is gone) from its annotation. */
    private static Optional<io.fabric8.kubernetes.api.model.Container> spec(Pod pod, Kill k) {
        if (pod.getSpec() != null) {
            for (var list : List.of(Optional.ofNullable(pod.getSpec().getContainers()).orElse(List.of()),
                    Optional.ofNullable(pod.getSpec().getInitContainers()).orElse(List.of()))) {
                for (var c : list) {
                    if (k.name().equals(c.getName())) {
                        return Optional.of(c);
                    }
                }
            }
        }
        String preStop = k.annotations().get(KubeAnnotations.CONTAINER_PRESTOP_HANDLER);
        if (preStop == null || preStop.isEmpty()) {
            return Optional.empty();
        }
        try {
            LifecycleHandler h = JSON.readValue(preStop, LifecycleHandler.class);
            return Optional.of(new ContainerBuilder().withName(k.name()).withNewLifecycle().withPreStop(h).endLifecycle()
                    .build());
        } catch (java.io.IOException e) {
            log.warn("pod {} container {}: unreadable preStop handler annotation: {}", PodRef.of(pod), k.name(),
                    e.getMessage());
            return Optional.empty();
        }
    }

    private static List<String> sidecarNames(Pod pod) {
        if (pod.getSpec() == null || pod.getSpec().getInitContainers() == null) {
            return List.of();
        }
        return pod.getSpec().getInitContainers().stream().filter(c -> "Always".equals(c.getRestartPolicy()))
                .map(io.fabric8.kubernetes.api.model.Container::getName).toList();
    }

    private void runOnStopper(Runnable r, CompletableFuture<Void> done) {
        try {
            stoppers.execute(r);
        } catch (RejectedExecutionException e) {
            done.completeExceptionally(new KillException("the kubelet is shutting down"));
        }
    }

    @Override
    public void close() {
        stoppers.shutdownNow();
    }

    /** One container's kill in progress. */
    private final class ContainerKill {
        final Pod pod;
        final Kill kill;
        final String id;
        final String podRef;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        /** Completes when the grace period ends (at the earliest deadline asked for). */
        final CompletableFuture<Void> deadlineReached = new CompletableFuture<>();
        private volatile long deadlineNanos;
        private volatile boolean stopping;

        ContainerKill(Pod pod, Kill kill, long deadlineNanos) {
            this.pod = pod;
            this.kill = kill;
            this.id = kill.id();
            this.podRef = PodRef.of(pod);
            this.deadlineNanos = deadlineNanos;
        }

        void start(long graceSeconds, List<CompletableFuture<Void>> turn) {
            arm(deadlineNanos);
            Optional<io.fabric8.kubernetes.api.model.Container> spec = spec(pod, kill);
            LifecycleHandler preStop = spec.map(io.fabric8.kubernetes.api.model.Container::getLifecycle)
                    .map(l -> l.getPreStop()).orElse(null);
            CompletableFuture<Void> hook = CompletableFuture.completedFuture(null);
            if (preStop != null && graceSeconds > 0) {
                log.info("pod {}: running the preStop hook of container {} ({})", podRef, kill.name(), Ids.shortId(id));
                hook = hooks.run(pod, spec.get(), id, preStop, () -> podIps.apply(pod.getMetadata().getUid()),
                        Duration.ofSeconds(graceSeconds), done).thenAccept(failed -> failed.ifPresent(msg -> {
                            log.warn("pod {}: preStop hook of container {} failed: {}", podRef, kill.name(), msg);
                            // upstream keeps the hook's message out of the event: it may carry secrets
                            events.warning(EventTarget.container(pod, kill.name()), Reasons.FAILED_PRE_STOP_HOOK,
                                    "PreStop hook failed");
                        }));
            }
            CompletableFuture<Void> turnCame = turn.isEmpty() ? CompletableFuture.completedFuture(null)
                    : CompletableFuture.allOf(turn.stream().map(f -> f.handle((v, e) -> null))
                    .toArray(CompletableFuture[]::new));
            // the hook and then the turn, each only until the grace period ends
            cutAtDeadline(hook).thenCompose(v -> cutAtDeadline(turnCame)).whenComplete((v, e) -> stop());
        }

        private CompletableFuture<Void> cutAtDeadline(CompletableFuture<Void> wait) {
            return CompletableFuture.anyOf(wait, deadlineReached).handle((v, e) -> null);
        }

        /** Completes {@link #deadlineReached} at {@code nanos} (a later arm never delays an earlier one). */
        private void arm(long nanos) {
            long delay = nanos - System.nanoTime();
            if (delay <= 0) {
                deadlineReached.complete(null);
                return;
            }
            try {
                var t = timer.schedule(() -> deadlineReached.complete(null), delay, TimeUnit.NANOSECONDS);
                done.whenComplete((v, e) -> t.cancel(false));
            } catch (RejectedExecutionException e) {
                deadlineReached.complete(null);
            }
        }

        /** StopContainer with what is left of the grace period, on a stop thread. */
        private void stop() {
            stopping = true;
            long seconds = remainingSeconds();
            runOnStopper(() -> stopNow(seconds, true), done);
        }

        private long remainingSeconds() {
            long left = deadlineNanos - System.nanoTime();
            long seconds = left <= 0 ? 0 : (left + TimeUnit.SECONDS.toNanos(1) - 1) / TimeUnit.SECONDS.toNanos(1);
            return Math.max(MINIMUM_GRACE_SECONDS, seconds);
        }

        private void stopNow(long seconds, boolean first) {
            if (done.isDone()) {
                return;
            }
            log.info("pod {}: stopping container {} ({}) with {}s left of its grace period", podRef, kill.name(),
                    Ids.shortId(id), seconds);
            java.util.concurrent.ScheduledFuture<?> slack = null;
            if (first) {
                try {
                    slack = timer.schedule(() -> done.completeExceptionally(new KillException("still stopping "
                            + STOP_SLACK.toSeconds() + "s after its grace period")), seconds + STOP_SLACK.toSeconds(),
                            TimeUnit.SECONDS);
                } catch (RejectedExecutionException e) {
                    // shutting down: the stop below is all there is
                }
            }
            try {
                runtime.stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(seconds).build());
                done.complete(null);
            } catch (RuntimeException e) {
                if (first) {
                    done.completeExceptionally(e);
                } else {
                    log.warn("pod {}: second stop of container {} failed: {}", podRef, Ids.shortId(id),
                            ImagePuller.goError(e));
                }
            } finally {
                if (slack != null) {
                    slack.cancel(false);
                }
            }
        }

        /** A later kill with an earlier end: the waits end there, and a stop in flight is sent again, shorter. */
        void shorten(long nanos, long graceSeconds) {
            if (nanos >= deadlineNanos || done.isDone()) {
                return;
            }
            log.info("pod {}: grace period of container {} ({}) shortened to {}s", podRef, kill.name(), Ids.shortId(id),
                    graceSeconds);
            deadlineNanos = nanos;
            arm(nanos);
            if (stopping) {
                long seconds = remainingSeconds();
                runOnStopper(() -> stopNow(seconds, false), done);
            }
        }
    }

    /** Something could not be stopped; the pod worker retries. */
    public static final class KillException extends Exception {
        public KillException(String message) {
            super(message);
        }
    }
}
