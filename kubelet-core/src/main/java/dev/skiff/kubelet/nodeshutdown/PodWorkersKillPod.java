package dev.skiff.kubelet.nodeshutdown;

import dev.skiff.kubelet.kuberuntime.manager.PodRef;
import dev.skiff.kubelet.status.StatusManager;
import dev.skiff.kubelet.worker.PodWorkers;
import dev.skiff.kubelet.worker.UpdatePodOptions;
import dev.skiff.kubelet.worker.UpdateType;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Upstream killPodNow on Skiff's pod workers: a KILL update with the grace period as override, then a wait (bounded
 * by max(10 s, 1.5 × grace), as upstream) until the worker has finished the pod. The status function is applied
 * once the worker is done with the pod, so that its own final status writes cannot undo it (Skiff's workers do not
 * carry a status function into syncTerminatingPod as upstream's KillPodOptions.PodStatusFunc does).
 */
public final class PodWorkersKillPod implements KillPodFunction {
    static final Duration MIN_TIMEOUT = Duration.ofSeconds(10);
    private static final long POLL_MILLIS = 50;

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
    public void killPod(Pod pod, Duration gracePeriod, Consumer<PodStatus> statusFn) throws Exception {
        var m = pod.getMetadata();
        String uid = m.getUid();
        workers.updatePod(new UpdatePodOptions<>(uid, m.getNamespace() + "/" + m.getName(), UpdateType.KILL, pod,
                gracePeriod));
        Duration timeout = timeout(gracePeriod, minTimeout);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!workers.isPodFinished(uid) && workers.state(uid).isPresent()) {
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("timeout waiting to kill pod " + PodRef.of(pod) + " (" + timeout.toSeconds()
                        + "s)");
            }
            Thread.sleep(POLL_MILLIS);
        }
        if (workers.state(uid).isEmpty()) {
            return; // forgotten meanwhile: its source removed it, no status to write
        }
        PodStatus status = statuses.status(uid).orElseGet(PodStatus::new);
        statusFn.accept(status);
        statuses.setPodStatus(pod, status);
    }
}
