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
        Optional<PodSandboxStatus> sandbox = Optional.empty();
        Optional<PodSandbox> latest = pod.latestSandbox();
        if (latest.isPresent()) {
            try {
                sandbox = Optional.of(runtime.podSandboxStatus(
                        PodSandboxStatusRequest.newBuilder().setPodSandboxId(latest.get().getId()).build()).getStatus());
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
                    throw e;
                }
            }
        }
        List<ContainerStatus> statuses = new ArrayList<>();
        for (Container c : pod.containers()) {
            try {
                statuses.add(runtime.containerStatus(ContainerStatusRequest.newBuilder().setContainerId(c.getId()).build())
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
