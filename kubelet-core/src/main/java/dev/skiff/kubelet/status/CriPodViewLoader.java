package dev.skiff.kubelet.status;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.ContainerStatus;
import dev.skiff.cri.v1.ContainerStatusRequest;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.PodSandboxStatus;
import dev.skiff.cri.v1.PodSandboxStatusRequest;
import dev.skiff.kubelet.pleg.RuntimePod;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads one pod's {@link CriPodView} from the runtime, as kuberuntime's GetPodStatus does: the status of
 * the newest sandbox (for its IPs) and the status of every container the relist saw. A container or
 * sandbox removed between the list and the status call is skipped; any other runtime error propagates.
 */
public final class CriPodViewLoader {
    private final RuntimeService runtime;

    public CriPodViewLoader(RuntimeService runtime) {
        this.runtime = runtime;
    }

    public CriPodView load(RuntimePod pod) {
        return load(pod.latestSandbox().map(PodSandbox::getId), pod.containers().stream().map(Container::getId).toList());
    }

    /**
     * The view from ids alone: the status of the sandbox {@code sandboxId} (the pod's newest) and of each container
     * in {@code containerIds} (newest first). For a sync that knows every id the runtime holds for the pod, because
     * it listed them and made the rest itself; each status is still read from the runtime.
     */
    public CriPodView load(Optional<String> sandboxId, List<String> containerIds) {
        Optional<PodSandboxStatus> sandbox = Optional.empty();
        if (sandboxId.isPresent()) {
            try {
                sandbox = Optional.of(runtime.podSandboxStatus(
                        PodSandboxStatusRequest.newBuilder().setPodSandboxId(sandboxId.get()).build()).getStatus());
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
                    throw e;
                }
            }
        }
        List<ContainerStatus> statuses = new ArrayList<>();
        for (String id : containerIds) {
            try {
                statuses.add(runtime.containerStatus(ContainerStatusRequest.newBuilder().setContainerId(id).build())
                        .getStatus());
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
                    throw e;
                }
            }
        }
        return new CriPodView(sandbox, statuses);
    }
}
