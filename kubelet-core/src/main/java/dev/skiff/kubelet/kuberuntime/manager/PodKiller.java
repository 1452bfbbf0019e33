package dev.skiff.kubelet.kuberuntime.manager;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.cri.v1.StopContainerRequest;
import dev.skiff.cri.v1.StopPodSandboxRequest;
import dev.skiff.kubelet.kuberuntime.actions.ImagePuller;
import dev.skiff.kubelet.pleg.RuntimePod;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stops containers (in parallel, each within the grace period: the runtime signals, then kills at the deadline)
 * and sandboxes, as upstream's killContainersWithSyncResult and killPodWithSyncResult.
 */
public final class PodKiller implements AutoCloseable {
    /** Upstream minimumGracePeriodInSeconds. */
    static final long MINIMUM_GRACE_SECONDS = 2;
    /** How long past the grace period we wait for the runtime before calling the stop failed. */
    private static final Duration STOP_SLACK = Duration.ofSeconds(30);
    private static final Logger log = LoggerFactory.getLogger(PodKiller.class);

    private final RuntimeService runtime;
    private final ExecutorService stoppers;

    public PodKiller(RuntimeService runtime) {
        this.runtime = runtime;
        AtomicInteger n = new AtomicInteger();
        this.stoppers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "container-stop-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Stops the given containers (id → why) in parallel and waits for them all.
     *
     * @throws KillException naming every container that could not be stopped
     */
    public void stopContainers(String podRef, Map<String, String> reasons, Duration grace) throws KillException {
        long seconds = Math.max(MINIMUM_GRACE_SECONDS, grace.toSeconds());
        Map<String, Future<?>> stops = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : reasons.entrySet()) {
            String id = e.getKey();
            log.info("pod {}: stopping container {} with a {}s grace period: {}", podRef, Ids.shortId(id), seconds,
                    e.getValue());
            stops.put(id, stoppers.submit(() -> runtime.stopContainer(
                    StopContainerRequest.newBuilder().setContainerId(id).setTimeout(seconds).build())));
        }
        List<String> failures = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds) + STOP_SLACK.toNanos();
        for (Map.Entry<String, Future<?>> e : stops.entrySet()) {
            try {
                e.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException ex) {
                RuntimeException cause = ex.getCause() instanceof RuntimeException re ? re : new RuntimeException(ex.getCause());
                failures.add(Ids.shortId(e.getKey()) + ": " + ImagePuller.goError(cause));
            } catch (TimeoutException ex) {
                failures.add(Ids.shortId(e.getKey()) + ": still stopping " + STOP_SLACK.toSeconds() + "s after its grace period");
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new KillException("interrupted while stopping the containers of pod " + podRef);
            }
        }
        if (!failures.isEmpty()) {
            throw new KillException("pod " + podRef + ": cannot stop " + String.join("; ", failures));
        }
    }

    /** Stops every container that is not exited, then every ready sandbox. */
    public void killPod(String podRef, RuntimePod pod, Duration grace) throws KillException {
        Map<String, String> running = new LinkedHashMap<>();
        for (Container c : pod.containers()) {
            if (c.getState() != ContainerState.CONTAINER_EXITED) {
                running.put(c.getId(), "killing pod");
            }
        }
        stopContainers(podRef, running, grace);
        List<String> failures = new ArrayList<>();
        for (PodSandbox s : pod.sandboxes()) {
            if (s.getState() != PodSandboxState.SANDBOX_READY) {
                continue;
            }
            try {
                runtime.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(s.getId()).build());
                log.info("pod {}: sandbox {} stopped", podRef, Ids.shortId(s.getId()));
            } catch (RuntimeException e) {
                failures.add(Ids.shortId(s.getId()) + ": " + ImagePuller.goError(e));
            }
        }
        if (!failures.isEmpty()) {
            throw new KillException("pod " + podRef + ": cannot stop sandbox " + String.join("; ", failures));
        }
    }

    @Override
    public void close() {
        stoppers.shutdownNow();
    }

    /** Something could not be stopped; the pod worker retries. */
    public static final class KillException extends Exception {
        public KillException(String message) {
            super(message);
        }
    }
}
