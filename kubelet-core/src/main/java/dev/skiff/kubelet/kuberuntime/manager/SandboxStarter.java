package dev.skiff.kubelet.kuberuntime.manager;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.PodSandboxConfig;
import dev.skiff.cri.v1.PodSandboxStatus;
import dev.skiff.cri.v1.PodSandboxStatusRequest;
import dev.skiff.cri.v1.RunPodSandboxRequest;
import dev.skiff.kubelet.kuberuntime.CreateConfigException;
import dev.skiff.kubelet.kuberuntime.NodeFacts;
import dev.skiff.kubelet.kuberuntime.SandboxConfigFactory;
import dev.skiff.kubelet.kuberuntime.actions.ImagePuller;
import dev.skiff.kubelet.metrics.KubeletMetrics;
import dev.skiff.kubelet.status.CriPodView;
import dev.skiff.volume.plugin.VolumeDirs;
import io.fabric8.kubernetes.api.model.Pod;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Upstream createPodSandbox: the pod's directories, then RunPodSandbox; and the context of an existing sandbox. */
public final class SandboxStarter {
    private static final Logger log = LoggerFactory.getLogger(SandboxStarter.class);

    private final RuntimeService runtime;
    private final SandboxConfigFactory configs;
    private final NodeFacts node;
    private final KubeletMetrics metrics;

    /** @param metrics counts kubelet_started_pods_total and kubelet_started_pods_errors_total */
    public SandboxStarter(RuntimeService runtime, SandboxConfigFactory configs, NodeFacts node, KubeletMetrics metrics) {
        this.runtime = runtime;
        this.configs = configs;
        this.node = node;
        this.metrics = metrics;
    }

    /** Creates the pod's directories and a new sandbox with this attempt number. */
    public SandboxContext create(Pod pod, int attempt, String reason) throws SandboxException {
        metrics.startingPod();
        try {
            return createCounted(pod, attempt, reason);
        } catch (SandboxException e) {
            metrics.podStartFailed();
            throw e;
        }
    }

    private SandboxContext createCounted(Pod pod, int attempt, String reason) throws SandboxException {
        String podRef = PodRef.of(pod);
        PodSandboxConfig config = config(pod, attempt);
        try {
            Path podDir = node.podDir(pod.getMetadata().getUid());
            // 0750 as upstream's makePodDataDirs: other users of the host have no business in a pod's files
            VolumeDirs.mkdirs(podDir.resolve("volumes"), VolumeDirs.PRIVATE_DIR_MODE);
            VolumeDirs.mkdirs(podDir.resolve("plugins"), VolumeDirs.PRIVATE_DIR_MODE);
            Files.createDirectories(Path.of(config.getLogDirectory()));
        } catch (IOException e) {
            throw new SandboxException("Failed to create pod directories: " + e.getMessage());
        }
        String id;
        try {
            id = runtime.runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config).build()).getPodSandboxId();
        } catch (RuntimeException e) {
            throw new SandboxException("Failed to create pod sandbox: " + ImagePuller.goError(e));
        }
        PodSandboxStatus status;
        try {
            status = runtime.podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(id).build()).getStatus();
        } catch (RuntimeException e) {
            throw new SandboxException("Failed to read the status of new sandbox " + Ids.shortId(id) + ": "
                    + ImagePuller.goError(e));
        }
        List<String> ips = podIps(pod, status);
        log.info("pod {}: sandbox {} attempt {} started ({}), IPs {}", podRef, Ids.shortId(id), attempt, reason, ips);
        return new SandboxContext(id, config, ips);
    }

    /** The context of the pod's running sandbox. */
    public SandboxContext existing(Pod pod, PodSandbox sandbox, PodSandboxStatus status) throws SandboxException {
        return new SandboxContext(sandbox.getId(), config(pod, sandbox.getMetadata().getAttempt()), podIps(pod, status));
    }

    private PodSandboxConfig config(Pod pod, int attempt) throws SandboxException {
        try {
            return configs.create(pod, attempt);
        } catch (CreateConfigException e) {
            throw new SandboxException("Failed to make the pod sandbox config: " + e.getMessage());
        }
    }

    /** A host-network pod has the node's IPs (upstream); otherwise the sandbox's, primary first. */
    private List<String> podIps(Pod pod, PodSandboxStatus status) {
        return Boolean.TRUE.equals(pod.getSpec().getHostNetwork()) ? node.nodeIps() : CriPodView.podIPs(status);
    }

    /** The sandbox cannot be made; its message goes to the containers' waiting state. */
    public static final class SandboxException extends Exception {
        public SandboxException(String message) {
            super(message);
        }
    }
}
