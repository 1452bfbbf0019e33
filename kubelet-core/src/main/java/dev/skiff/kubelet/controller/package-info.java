/**
 * Workload controllers: StatefulSet, Deployment (with its ReplicaSets), DaemonSet and Job from the manifest
 * directory, run on this node as upstream's kube-controller-manager runs them in a cluster.
 *
 * <p>The shape is upstream's: each {@link dev.skiff.kubelet.controller.WorkloadController} is a pure diff of one
 * workload object against the objects it owns (found by controller ownerReference), returning a
 * {@link dev.skiff.kubelet.controller.Reconciliation}; it never performs I/O. The controller manager (one thread,
 * woken on a manifest change, on a pod status change and when a reconciliation asked to be requeued) plays the
 * API server's part: it assigns uids, names from {@code generateName}, creation timestamps and defaults to what
 * controllers create; keeps the controller-made objects (pods, claims, ReplicaSets, ControllerRevisions) and the
 * workloads' statuses, persisted under the root directory so a restart changes nothing; deletes objects whose
 * controller owner is gone (the garbage collector's background deletion); and hands the pods to the kubelet as
 * the pod source {@code "controller"} and the claims to the object store, where the existing machinery runs
 * them. A deleted pod stays visible to its controller, with a deletionTimestamp, until the kubelet has stopped
 * its containers, as a terminating pod stays in the API server.
 */
package dev.skiff.kubelet.controller;
