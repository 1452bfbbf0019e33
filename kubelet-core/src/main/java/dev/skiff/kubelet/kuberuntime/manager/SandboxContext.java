package dev.skiff.kubelet.kuberuntime.manager;

import dev.skiff.cri.v1.PodSandboxConfig;

import java.util.List;

/**
 * The sandbox app containers join: its id, the config it was created from (CreateContainer needs it) and the
 * pod's IPs (for /etc/hosts and status.podIP).
 */
public record SandboxContext(String id, PodSandboxConfig config, List<String> podIps) {
    public SandboxContext {
        podIps = List.copyOf(podIps);
    }
}
