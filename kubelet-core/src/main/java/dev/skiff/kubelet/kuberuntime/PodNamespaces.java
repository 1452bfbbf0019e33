package dev.skiff.kubelet.kuberuntime;

import dev.skiff.cri.v1.NamespaceMode;
import dev.skiff.cri.v1.NamespaceOption;
import io.fabric8.kubernetes.api.model.Pod;

/** The CRI namespace options of a pod (upstream runtimeutil.NamespacesForPod), shared by sandbox and containers. */
public final class PodNamespaces {
    private PodNamespaces() {
    }

    public static NamespaceOption of(Pod pod) {
        var spec = pod.getSpec();
        NamespaceMode pid = Boolean.TRUE.equals(spec.getHostPID()) ? NamespaceMode.NODE
                : Boolean.TRUE.equals(spec.getShareProcessNamespace()) ? NamespaceMode.POD : NamespaceMode.CONTAINER;
        return NamespaceOption.newBuilder()
                .setNetwork(Boolean.TRUE.equals(spec.getHostNetwork()) ? NamespaceMode.NODE : NamespaceMode.POD)
                .setPid(pid)
                .setIpc(Boolean.TRUE.equals(spec.getHostIPC()) ? NamespaceMode.NODE : NamespaceMode.POD)
                .build();
    }
}
