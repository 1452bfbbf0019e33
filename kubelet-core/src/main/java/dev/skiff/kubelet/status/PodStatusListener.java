package dev.skiff.kubelet.status;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;

/**
 * Told of every stored change of a pod's status (e.g. for cluster DNS, which follows pod IPs and readiness).
 * Called under the {@link StatusManager}'s lock: keep it short and never call back into the manager.
 */
public interface PodStatusListener {
    /** {@code pod} (with deletionTimestamp once it is being deleted) now has {@code status}. */
    void podStatusChanged(Pod pod, PodStatus status);

    /** The pod with this uid is gone. */
    void podRemoved(String uid);
}
