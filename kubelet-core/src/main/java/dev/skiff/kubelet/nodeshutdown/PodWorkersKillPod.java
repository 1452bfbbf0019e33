package dev.skiff.kubelet.nodeshutdown;

import dev.skiff.kubelet.kuberuntime.manager.PodRef;
import dev.skiff.kubelet.status.StatusManager;
import dev.skiff.kubelet.worker.PodWorkers;
import dev.skiff.kubelet.worker.UpdatePodOptions;
import dev.skiff.kubelet.worker.UpdateType;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Upstream killPodNow on Skiff's pod workers: a KILL update with the grace period as override, then a wait (bounded
 * by max(10 s, 1.5 × grace), as upstream) until the worker has finished the pod, on the worker's own completion (no
 * thread waits or polls). The status function is applied
 * once the worker is done with the pod, so that its own final status writes cannot undo it (Skiff's workers do not
 * carry a status function into syncTerminatingPod as upstream's KillPodOptions.PodStatusFunc does).
 */
public final class PodWorkersKillPod implements KillPodFunction {
    static final Duration MIN_TIMEOUT = Duration.ofSeconds(10);

    private final PodWorkers<Pod> workers;
    private final StatusManager statuses;
    private final Duration minTimeout;

    public PodWorkersKillPod(PodWorkers<Pod> workers, StatusManager statuses) {
        this(workers, statuses, MIN_TIMEOUT);
    }

    PodWorkersKillPod(PodWorkers<Pod> workers, StatusManager statuses, Duration minTimeout) {
        this.workers = workers;
        this.statuses = statuses;
        this.minTimeout = minTimeout;
    }

    /** Upstream: grace + grace/2, at least 10 s (room for kubelet → runtime traffic after SIGKILL). */
    static Duration timeout(Duration grace, Duration minTimeout) {
        Duration t = grace.plus(grace.dividedBy(2));
        return t.compareTo(minTimeout) < 0 ? minTimeout : t;
    }

    @Override
    public CompletableFuture<Void> killPod(Pod pod, Duration gracePeriod, Consumer<PodStatus> statusFn) {
        var m = pod.getMetadata();
        String uid = m.getUid();
        workers.updatePod(new UpdatePodOptions<>(uid, m.getNamespace() + "/" + m.getName(), UpdateType.KILL, pod,
                gracePeriod));
        Duration timeout = timeout(gracePeriod, minTimeout);
        CompletableFuture<Void> out = new CompletableFuture<>();
        workers.whenFinished(uid).orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS).whenComplete((v, e) -> {
            if (e != null) {
                out.completeExceptionally(new TimeoutException("timeout waiting to kill pod " + PodRef.of(pod) + " ("
                        + timeout.toSeconds() + "s)"));
                return;
            }
            try {
                if (workers.state(uid).isPresent()) { // else forgotten meanwhile: its source removed it, no status
                    PodStatus status = statuses.status(uid).orElseGet(PodStatus::new);
                    statusFn.accept(status);
                    statuses.setPodStatus(pod, status);
                }
                out.complete(null);
            } catch (RuntimeException ex) {
                out.completeExceptionally(ex);
            }
        });
        return out;
    }
}
