package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one reconcile asks for, applied by the manager in this order: {@code create} (objects without a uid; a
 * name may come from {@code generateName}; each with the controller ownerReference the controller set, except
 * claims it means to outlive it), {@code update} (whole objects, matched by uid: a pod's labels, a ReplicaSet's
 * replicas), {@code delete}, then {@code status} (the workload with its new status; null leaves it), and the
 * {@code events}. {@code requeueAfter}: call again after this long even if nothing changes (minReadySeconds,
 * back-off, activeDeadlineSeconds, ttlSecondsAfterFinished).
 */
public record Reconciliation(List<HasMetadata> create, List<HasMetadata> update, List<ObjectRef> delete,
                             HasMetadata status, List<ControllerEvent> events, Optional<Duration> requeueAfter) {
    public Reconciliation {
        create = List.copyOf(create);
        update = List.copyOf(update);
        delete = List.copyOf(delete);
        events = List.copyOf(events);
        Objects.requireNonNull(requeueAfter, "requeueAfter");
    }

    /** Nothing to do. */
    public static Reconciliation none() {
        return new Reconciliation(List.of(), List.of(), List.of(), null, List.of(), Optional.empty());
    }

    public boolean isEmpty() {
        return create.isEmpty() && update.isEmpty() && delete.isEmpty() && status == null && events.isEmpty();
    }
}
