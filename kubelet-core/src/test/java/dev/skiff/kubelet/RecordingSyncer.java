package dev.skiff.kubelet;

import dev.skiff.kubelet.kuberuntime.manager.KubeRuntimeManager;
import dev.skiff.kubelet.worker.PodSyncer;
import dev.skiff.kubelet.worker.SyncContext;
import dev.skiff.kubelet.worker.UpdateType;
import io.fabric8.kubernetes.api.model.Pod;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** A PodSyncer that only records its calls ("sync uid TYPE", "terminating uid PT5S", "terminated uid"). */
final class RecordingSyncer implements PodSyncer<Pod> {
    private final List<String> calls = new CopyOnWriteArrayList<>();

    @Override
    public CompletionStage<Boolean> syncPod(Pod pod, UpdateType updateType, SyncContext context) {
        calls.add("sync " + pod.getMetadata().getUid() + " " + updateType);
        return CompletableFuture.completedFuture(false);
    }

    @Override
    public CompletionStage<Void> syncTerminatingPod(Pod pod, Duration gracePeriod, SyncContext context) {
        calls.add("terminating " + pod.getMetadata().getUid() + " " + gracePeriod);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void syncTerminatedPod(Pod pod) {
        calls.add("terminated " + pod.getMetadata().getUid());
    }

    @Override
    public Duration gracePeriod(Pod pod) {
        return KubeRuntimeManager.gracePeriod(pod);
    }

    List<String> calls() {
        return List.copyOf(calls);
    }

    boolean anyStartsWith(String prefix) {
        return calls.stream().anyMatch(c -> c.startsWith(prefix));
    }

    /** Waits (polling every 10 ms) until a call matches; true when one did within the timeout. */
    boolean await(Predicate<String> call, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (calls.stream().anyMatch(call)) {
                return true;
            }
            Thread.sleep(10);
        }
        return calls.stream().anyMatch(call);
    }

    boolean awaitPrefix(String prefix, Duration timeout) throws InterruptedException {
        return await(c -> c.startsWith(prefix), timeout);
    }
}
