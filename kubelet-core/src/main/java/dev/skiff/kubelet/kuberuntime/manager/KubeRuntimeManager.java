package dev.skiff.kubelet.kuberuntime.manager;

import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.kubelet.events.EventRecorder;
import dev.skiff.kubelet.events.EventTarget;
import dev.skiff.kubelet.events.Reasons;
import dev.skiff.kubelet.kuberuntime.actions.PodActions;
import dev.skiff.kubelet.kuberuntime.actions.PodActions.ContainerToStart;
import dev.skiff.kubelet.kuberuntime.manager.SandboxStarter.SandboxException;
import dev.skiff.kubelet.pleg.RuntimePod;
import dev.skiff.kubelet.status.ContainerWaiting;
import dev.skiff.kubelet.status.CriPodView;
import dev.skiff.kubelet.worker.SyncContext;
import io.fabric8.kubernetes.api.model.Pod;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Carries out a pod's {@link PodActions} in upstream's order (kuberuntime SyncPod): kill the pod or the
 * containers to replace, create the sandbox, start the next init container, start the app containers. Also kills
 * and removes whole pods for the pod workers. Records upstream's pod events: Killing, SandboxChanged,
 * FailedCreatePodSandBox, and BackOff for a container waiting out its crash-loop back-off.
 */
public final class KubeRuntimeManager {
    private static final Logger log = LoggerFactory.getLogger(KubeRuntimeManager.class);

    private final SandboxStarter sandboxes;
    private final ContainerStarter containers;
    private final PodKiller killer;
    private final ContainerGc gc;
    private final EventRecorder events;

    public KubeRuntimeManager(SandboxStarter sandboxes, ContainerStarter containers, PodKiller killer, ContainerGc gc,
                              EventRecorder events) {
        this.events = events;
        this.sandboxes = sandboxes;
        this.containers = containers;
        this.killer = killer;
        this.gc = gc;
    }

    /**
     * What a sync did: per container name, why a container that should run is waiting (back-off, image, config or
     * runtime errors; the status shows it until a later sync gets further), the sandbox and containers it created
     * (newest last), and whether those are all it may have created: false when a create call failed, since a
     * runtime can fail a call yet have made the object, so only a fresh list tells what the pod holds.
     */
    public record SyncResult(Map<String, ContainerWaiting> waiting, Optional<String> createdSandbox,
                             List<String> createdContainers, boolean createdKnown) {
        /** The pod's newest sandbox first, then every container id, newest first, after this sync. */
        public Optional<String> latestSandbox(RuntimePod before) {
            return createdSandbox.or(() -> before.latestSandbox().map(PodSandbox::getId));
        }

        public List<String> containerIds(RuntimePod before) {
            List<String> ids = new ArrayList<>(createdContainers);
            Collections.reverse(ids);
            before.containers().forEach(c -> ids.add(c.getId()));
            return ids;
        }
    }

    /**
     * Does what {@code actions} says. Kills, image pulls and postStart hooks are waited for without holding the
     * calling thread: the next step runs on the context's executor once they are done.
     *
     * @return fails with a {@link PodKiller.KillException} when containers to replace could not be stopped (the worker retries)
     */
    public CompletableFuture<SyncResult> syncPod(Pod pod, RuntimePod runtimePod, CriPodView view, PodActions actions,
                                                 SyncContext ctx) {
        String podRef = PodRef.of(pod);
        Map<String, ContainerWaiting> waiting = new LinkedHashMap<>();
        actions.waiting().forEach((name, w) -> {
            waiting.put(name, new ContainerWaiting(w.reason(), w.message()));
            if (PodActions.REASON_CRASH_LOOP_BACK_OFF.equals(w.reason())) {
                events.warning(EventTarget.container(pod, name), Reasons.BACK_OFF,
                        "Back-off restarting failed container " + name + " in pod " + formatPod(pod));
            }
        });
        if (actions.isNoop()) {
            return CompletableFuture.completedFuture(new SyncResult(waiting, Optional.empty(), List.of(), true));
        }
        Duration grace = gracePeriod(pod);
        boolean anything = !runtimePod.sandboxes().isEmpty() || !runtimePod.containers().isEmpty();
        if (actions.createSandbox() && !runtimePod.sandboxes().isEmpty()) {
            events.normal(EventTarget.pod(pod), Reasons.SANDBOX_CHANGED,
                    "Pod sandbox changed, it will be killed and re-created.");
        }
        CompletableFuture<Void> kills = CompletableFuture.completedFuture(null);
        if (actions.killPod() && anything) {
            log.info("pod {}: killing the pod to {}", podRef, actions.createSandbox()
                    ? "recreate its sandbox: " + actions.sandboxReason() : "stop it");
            kills = killer.killPod(pod, runtimePod, grace);
        } else if (!actions.containersToKill().isEmpty()) {
            List<PodKiller.Kill> each = new ArrayList<>();
            // a failed probe may set its own grace period (terminationGracePeriodSeconds)
            actions.containersToKill().forEach((id, k) -> each.add(new PodKiller.Kill(id, k.name(), k.message(),
                    k.grace() == null ? grace : k.grace(), runtimePod.container(id)
                    .map(dev.skiff.cri.v1.Container::getAnnotationsMap).orElse(Map.of()))));
            kills = killer.killContainers(pod, each);
        }
        if (actions.killPod() && !actions.createSandbox()) {
            return kills.thenApply(v -> new SyncResult(waiting, Optional.empty(), List.of(), true));
        }
        return ctx.thenCompose(kills, v -> startAll(pod, runtimePod, view, actions, waiting, ctx));
    }

    /** Creates the sandbox if asked, then starts the containers one after the other, each after the last's hook. */
    private CompletableFuture<SyncResult> startAll(Pod pod, RuntimePod runtimePod, CriPodView view, PodActions actions,
                                                   Map<String, ContainerWaiting> waiting, SyncContext ctx) {
        SandboxContext sandbox;
        try {
            sandbox = actions.createSandbox()
                    ? sandboxes.create(pod, actions.attempt(), actions.sandboxReason())
                    : existing(pod, runtimePod, view, actions.sandboxId());
        } catch (SandboxException e) {
            log.warn("pod {}: {}", PodRef.of(pod), e.getMessage());
            events.warning(EventTarget.pod(pod), Reasons.FAILED_CREATE_POD_SANDBOX, e.getMessage());
            for (ContainerToStart c : actions.starts()) {
                waiting.put(c.name(), new ContainerWaiting(ContainerWaiting.CONTAINER_CREATING, e.getMessage()));
            }
            // a failed RunPodSandbox may still have left a sandbox behind
            return CompletableFuture.completedFuture(new SyncResult(waiting, Optional.empty(), List.of(),
                    !actions.createSandbox()));
        }
        List<String> created = new ArrayList<>();
        boolean[] known = {true};
        boolean[] initWaits = {false};
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        for (ContainerToStart c : actions.starts()) {
            chain = ctx.thenCompose(chain, v -> {
                if (initWaits[0]) {
                    // the next init container waits for this one, as upstream; a sidecar's failure does not hold back
                    return CompletableFuture.completedFuture(null);
                }
                return containers.start(pod, c, sandbox, ctx).thenAccept(started -> {
                    started.containerId().ifPresent(created::add);
                    known[0] &= started.idKnown();
                    Optional<ContainerWaiting> w = started.waiting();
                    if (w.isPresent()) {
                        waiting.put(c.name(), w.get());
                        initWaits[0] = c.holdsBackLaterStarts();
                    } else {
                        waiting.remove(c.name());
                    }
                });
            });
        }
        return chain.thenApply(v -> new SyncResult(waiting,
                actions.createSandbox() ? Optional.of(sandbox.id()) : Optional.empty(), created, known[0]));
    }

    /** Stops every container and sandbox of the pod within {@code grace}; completes when they are stopped. */
    public CompletableFuture<Void> killPod(Pod pod, RuntimePod runtimePod, Duration grace) {
        return killer.killPod(pod, runtimePod, grace);
    }

    /** Upstream format.Pod: {@code name_namespace(uid)}. */
    public static String formatPod(Pod pod) {
        var m = pod.getMetadata();
        return m.getName() + "_" + m.getNamespace() + "(" + m.getUid() + ")";
    }

    /** Removes the dead instances the pod no longer needs. */
    public void prune(Pod pod, RuntimePod runtimePod) {
        gc.prune(PodRef.of(pod), runtimePod);
    }

    /** Removes every container and sandbox of a pod that is gone; true when all went. */
    public boolean removePod(Pod pod, RuntimePod runtimePod) {
        return gc.removeAll(PodRef.of(pod), runtimePod);
    }

    /** spec.terminationGracePeriodSeconds (defaulted to 30 by the API server rules). */
    public static Duration gracePeriod(Pod pod) {
        Long s = pod.getSpec() == null ? null : pod.getSpec().getTerminationGracePeriodSeconds();
        return Duration.ofSeconds(s == null ? 30 : Math.max(0, s));
    }

    private SandboxContext existing(Pod pod, RuntimePod runtimePod, CriPodView view, String sandboxId)
            throws SandboxException {
        PodSandbox sandbox = runtimePod.sandbox(sandboxId)
                .orElseThrow(() -> new SandboxException("sandbox " + Ids.shortId(sandboxId) + " is gone"));
        var status = view.sandbox().filter(s -> s.getId().equals(sandboxId)).orElse(null);
        return sandboxes.existing(pod, sandbox, status);
    }
}
