package dev.skiff.kubelet.kuberuntime.manager;

import io.fabric8.kubernetes.api.model.Pod;

/** How a pod is named in log lines: {@code namespace/name (uid)}. */
public final class PodRef {
    private PodRef() {
    }

    public static String of(Pod pod) {
        var m = pod.getMetadata();
        return m.getNamespace() + "/" + m.getName() + " (" + m.getUid() + ")";
    }
}
