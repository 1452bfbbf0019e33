package dev.skiff.kubelet.worker;

import java.time.Duration;
import java.util.Objects;

/**
 * One update for the pod workers.
 *
 * @param podUid              the pod's uid: work for one uid is serial
 * @param fullName            {@code namespace/name}; two uids with the same full name never run at once
 *                            (a static pod edited in place gets a new uid and waits for the old one to terminate)
 * @param updateType          why the update was sent
 * @param pod                 the pod object handed to the {@link PodSyncer}
 * @param gracePeriodOverride for KILL: a grace period shorter than the pod's own (null: the pod's own)
 */
public record UpdatePodOptions<P>(String podUid, String fullName, UpdateType updateType, P pod, Duration gracePeriodOverride) {
    public UpdatePodOptions {
        Objects.requireNonNull(podUid, "podUid");
        Objects.requireNonNull(fullName, "fullName");
        Objects.requireNonNull(updateType, "updateType");
        Objects.requireNonNull(pod, "pod");
    }

    public UpdatePodOptions(String podUid, String fullName, UpdateType updateType, P pod) {
        this(podUid, fullName, updateType, pod, null);
    }

    UpdatePodOptions<P> withType(UpdateType type) {
        return new UpdatePodOptions<>(podUid, fullName, type, pod, gracePeriodOverride);
    }
}
