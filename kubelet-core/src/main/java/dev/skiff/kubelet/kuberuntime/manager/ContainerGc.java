package dev.skiff.kubelet.kuberuntime.manager;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.ContainerStatusRequest;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.cri.v1.RemoveContainerRequest;
import dev.skiff.cri.v1.RemovePodSandboxRequest;
import dev.skiff.kubelet.kuberuntime.actions.ImagePuller;
import dev.skiff.kubelet.logs.ContainerLogManager;
import dev.skiff.kubelet.pleg.RuntimePod;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Removes dead containers and sandboxes with their log files, as upstream's container GC with its defaults for
 * a pod that still exists (keep the newest dead instance of each container, which is its lastState) and for a
 * deleted one (remove everything). The periodic pass over all pods is {@code dev.skiff.kubelet.gc.ContainerGarbageCollector}.
 */
public final class ContainerGc {
    /** Upstream MaxPerPodContainer default. */
    static final int KEEP_DEAD_PER_CONTAINER = 1;
    private static final Logger log = LoggerFactory.getLogger(ContainerGc.class);

    private final RuntimeService runtime;

    public ContainerGc(RuntimeService runtime) {
        this.runtime = runtime;
    }

    /** Removes the exited instances beyond the newest of each container, and old dead sandboxes left empty. */
    public void prune(String podRef, RuntimePod pod) {
        Map<String, Integer> deadSeen = new HashMap<>();
        Set<String> removed = new HashSet<>();
        for (Container c : pod.containers()) { // newest first
            if (c.getState() != ContainerState.CONTAINER_EXITED) {
                continue;
            }
            int seen = deadSeen.merge(c.getMetadata().getName(), 1, Integer::sum);
            if (seen > KEEP_DEAD_PER_CONTAINER && removeContainer(podRef, c.getId())) {
                removed.add(c.getId());
            }
        }
        Set<String> inUse = new HashSet<>();
        for (Container c : pod.containers()) {
            if (!removed.contains(c.getId())) {
                inUse.add(c.getPodSandboxId());
            }
        }
        List<PodSandbox> sandboxes = pod.sandboxes();
        for (int i = 1; i < sandboxes.size(); i++) { // the newest sandbox stays, as upstream keeps it
            PodSandbox s = sandboxes.get(i);
            if (s.getState() != PodSandboxState.SANDBOX_READY && !inUse.contains(s.getId())) {
                removeSandbox(podRef, s.getId());
            }
        }
    }

    /** Removes every container and sandbox of a pod that is gone; true when all went. */
    public boolean removeAll(String podRef, RuntimePod pod) {
        boolean all = true;
        for (Container c : pod.containers()) {
            all &= removeContainer(podRef, c.getId());
        }
        for (PodSandbox s : pod.sandboxes()) {
            all &= removeSandbox(podRef, s.getId());
        }
        return all;
    }

    /**
     * Removes one container and its log files (the periodic GC shares this with the sync path); true when it is
     * gone. Removal is idempotent in the runtime, so a race with a pod worker removing the same container is safe.
     */
    public boolean removeContainer(String podRef, String id) {
        try {
            String logPath = "";
            try {
                logPath = runtime.containerStatus(ContainerStatusRequest.newBuilder().setContainerId(id).build())
                        .getStatus().getLogPath();
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
                    throw e;
                }
            }
            runtime.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
            deleteLog(podRef, logPath);
            log.info("pod {}: removed dead container {}", podRef, Ids.shortId(id));
            return true;
        } catch (RuntimeException e) {
            log.warn("pod {}: cannot remove container {}: {}", podRef, Ids.shortId(id), ImagePuller.goError(e));
            return false;
        }
    }

    /** Removes one sandbox; true when it is gone. */
    public boolean removeSandbox(String podRef, String id) {
        try {
            runtime.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build());
            log.info("pod {}: removed sandbox {}", podRef, Ids.shortId(id));
            return true;
        } catch (RuntimeException e) {
            log.warn("pod {}: cannot remove sandbox {}: {}", podRef, Ids.shortId(id), ImagePuller.goError(e));
            return false;
        }
    }

    private static void deleteLog(String podRef, String logPath) {
        if (logPath.isEmpty()) {
            return;
        }
        try {
            ContainerLogManager.removeLogs(Path.of(logPath)); // the log and its rotated files
        } catch (IOException e) {
            log.warn("pod {}: cannot delete log {}: {}", podRef, logPath, e.toString());
        }
    }
}
