package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodStatus;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What a controller may read: the informers' caches of upstream's controllers, frozen for one reconcile. */
public interface ControllerView {

    /** The manager's clock, for back-offs, minReadySeconds, deadlines and TTLs. */
    Instant now();

    /** The node's name and labels (DaemonSet's nodeSelector and affinity). */
    String nodeName();

    Map<String, String> nodeLabels();

    /**
     * The objects of {@code type} whose controller ownerReference names {@code ownerUid}: pods (terminating ones
     * with their deletionTimestamp set), claims, ReplicaSets, ControllerRevisions. Sorted by name.
     */
    <T extends HasMetadata> List<T> owned(Class<T> type, String ownerUid);

    /** An object by namespace and name, from the manifests or made by a controller (a StatefulSet's claim …). */
    <T extends HasMetadata> Optional<T> get(Class<T> type, String namespace, String name);

    /** The status the kubelet last generated for the pod with {@code podUid}; empty before its first sync. */
    Optional<PodStatus> podStatus(String podUid);
}
