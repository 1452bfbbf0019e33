package dev.skiff.kubelet.pleg;

import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.PodSandboxState;

import java.util.List;
import java.util.Optional;

/**
 * What the runtime holds for one pod uid at one relist: its sandboxes and containers as the CRI list
 * calls return them (no per-container status call), each list newest first (as kuberuntime sorts them).
 * The proto messages are immutable, so the snapshot can be shared between threads without copying.
 *
 * @param uid       pod uid (sandbox metadata uid, or the container's {@code io.kubernetes.pod.uid} label)
 * @param name      pod name, from the newest sandbox's metadata or the containers' labels ("" when unknown)
 * @param namespace pod namespace, likewise
 */
public record RuntimePod(String uid, String name, String namespace, List<PodSandbox> sandboxes, List<Container> containers) {
    public RuntimePod {
        sandboxes = List.copyOf(sandboxes);
        containers = List.copyOf(containers);
    }

    /** {@code namespace/name}, for log lines. */
    public String fullName() {
        return namespace + "/" + name;
    }

    /** The newest sandbox, if any. */
    public Optional<PodSandbox> latestSandbox() {
        return sandboxes.isEmpty() ? Optional.empty() : Optional.of(sandboxes.get(0));
    }

    /** The newest container named {@code name} (metadata name), if any. */
    public Optional<Container> latestContainer(String name) {
        for (Container c : containers) {
            if (c.getMetadata().getName().equals(name)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /** Containers named {@code name}, newest first. */
    public List<Container> containers(String name) {
        return containers.stream().filter(c -> c.getMetadata().getName().equals(name)).toList();
    }

    /** The container or sandbox with this id, as a PLEG event's data names it. */
    public Optional<Container> container(String id) {
        for (Container c : containers) {
            if (c.getId().equals(id)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    public Optional<PodSandbox> sandbox(String id) {
        for (PodSandbox s : sandboxes) {
            if (s.getId().equals(id)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /** True when a sandbox is ready or a container is running: the pod may still use resources. */
    public boolean anythingRunning() {
        for (PodSandbox s : sandboxes) {
            if (s.getState() == PodSandboxState.SANDBOX_READY) {
                return true;
            }
        }
        for (Container c : containers) {
            if (c.getState() == ContainerState.CONTAINER_RUNNING) {
                return true;
            }
        }
        return false;
    }
}
