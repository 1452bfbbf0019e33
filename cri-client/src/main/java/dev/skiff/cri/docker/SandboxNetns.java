package dev.skiff.cri.docker;

import com.github.dockerjava.api.command.InspectContainerResponse;
import dev.skiff.cri.docker.netns.Netns;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The network namespace of a pod sandbox: its pause process's ({@code /proc/<pid>/ns/net}), as dockershim entered it
 * with {@code nsenter -t <pid> -n}; Skiff's own for a host-network sandbox, as containerd dials those directly.
 */
final class SandboxNetns {
    private SandboxNetns() {}

    /** @param id the sandbox id as the caller gave it, for errors */
    static Netns of(String id, InspectContainerResponse sandbox) throws IOException {
        Map<String, String> labels = sandbox.getConfig().getLabels() == null ? Map.of() : sandbox.getConfig().getLabels();
        String name = "pod sandbox " + id + " (" + labels.getOrDefault(KubeLabels.POD_NAMESPACE, "?") + "/"
                + labels.getOrDefault(KubeLabels.POD_NAME, "?") + ")";
        var state = sandbox.getState();
        Long pid = state == null ? null : state.getPidLong();
        if (state == null || !Boolean.TRUE.equals(state.getRunning()) || pid == null || pid <= 0) {
            throw new IOException(name + " is not running; port-forward needs a running pod");
        }
        if (sandbox.getHostConfig() != null && "host".equals(sandbox.getHostConfig().getNetworkMode())) {
            return Netns.own(name);
        }
        return Netns.at(Path.of("/proc", pid.toString(), "ns", "net"), name);
    }
}
