package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetStatus;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;

/**
 * upstream ReplicaSetController: keeps {@code spec.replicas} active pods, made from the template with
 * {@code generateName: <rs>-}; surplus pods go in upstream's ActivePods order (pending, not ready, recently ready,
 * restarting, newer first). A terminating or finished pod does not count, so it is replaced at once. Status counts
 * the active pods, the fully labeled, ready and available ones.
 */
public final class ReplicaSetController implements WorkloadController {
    /** upstream burstReplicas: at most this many creations or deletions per reconcile. */
    static final int BURST = 500;

    private final Random random;

    public ReplicaSetController(Random random) {
        this.random = random;
    }

    @Override
    public String kind() {
        return "ReplicaSet";
    }

    @Override
    public List<String> validate(HasMetadata workload, Optional<HasMetadata> previous) {
        ReplicaSet rs = (ReplicaSet) workload;
        List<String> errs = new ArrayList<>();
        if (rs.getSpec() == null) {
            errs.add("spec: Required value");
            return errs;
        }
        WorkloadValidation.nonNegative(errs, rs.getSpec().getReplicas(), "spec.replicas");
        WorkloadValidation.nonNegative(errs, rs.getSpec().getMinReadySeconds(), "spec.minReadySeconds");
        WorkloadValidation.selector(errs, rs.getSpec().getSelector(), rs.getSpec().getTemplate(), "replicaset");
        WorkloadValidation.template(errs, rs, rs.getSpec().getTemplate(), List.of("Always"));
        return errs;
    }

    @Override
    public Reconciliation reconcile(HasMetadata workload, ControllerView view) {
        ReplicaSet rs = (ReplicaSet) workload;
        String name = rs.getMetadata().getName();
        int want = OwnedObjects.intOr(rs.getSpec().getReplicas(), 1);
        List<Pod> active = new ArrayList<>();
        for (Pod p : view.owned(Pod.class, rs.getMetadata().getUid())) {
            if (PodStates.isActive(p, view)) {
                active.add(p);
            }
        }
        List<HasMetadata> create = new ArrayList<>();
        List<ObjectRef> delete = new ArrayList<>();
        List<ControllerEvent> events = new ArrayList<>();
        int diff = active.size() - want;
        if (diff < 0) {
            for (int i = 0; i < Math.min(-diff, BURST); i++) {
                String podName = ObjectNames.generate(name + "-", random);
                create.add(OwnedObjects.podFromTemplate(rs, rs.getSpec().getTemplate(), name + "-", podName));
                events.add(ControllerEvent.normal("SuccessfulCreate", "Created pod: " + podName));
            }
        } else if (diff > 0) {
            List<Pod> order = new ArrayList<>(active);
            order.sort(PodStates.deletionOrder(view));
            for (Pod p : order.subList(0, Math.min(diff, BURST))) {
                delete.add(ObjectRef.of(p));
                events.add(ControllerEvent.normal("SuccessfulDelete", "Deleted pod: " + p.getMetadata().getName()));
            }
        }
        int minReady = OwnedObjects.intOr(rs.getSpec().getMinReadySeconds(), 0);
        ReplicaSetStatus status = status(rs, active, view, minReady);
        ReplicaSet withStatus = null;
        if (!Objects.equals(status, rs.getStatus())) {
            withStatus = Copies.deep(rs);
            withStatus.setStatus(status);
        }
        // upstream: a ready pod becomes available minReadySeconds later, with nothing else changing.
        Optional<Duration> requeue = minReady > 0 && status.getReadyReplicas() > status.getAvailableReplicas()
                ? Optional.of(Duration.ofSeconds(minReady)) : Optional.empty();
        return new Reconciliation(create, List.of(), delete, withStatus, events, requeue);
    }

    private static ReplicaSetStatus status(ReplicaSet rs, List<Pod> active, ControllerView view, int minReady) {
        int labeled = 0;
        int ready = 0;
        int available = 0;
        var templateLabels = rs.getSpec().getTemplate().getMetadata() == null ? null
                : rs.getSpec().getTemplate().getMetadata().getLabels();
        for (Pod p : active) {
            if (templateLabels == null || OwnedObjects.labels(p).entrySet().containsAll(templateLabels.entrySet())) {
                labeled++;
            }
            PodStatus s = PodStates.status(p, view);
            if (PodStates.isReady(s)) {
                ready++;
                if (PodStates.isAvailable(s, minReady, view.now())) {
                    available++;
                }
            }
        }
        ReplicaSetStatus status = new ReplicaSetStatus();
        status.setReplicas(active.size());
        status.setFullyLabeledReplicas(labeled);
        status.setReadyReplicas(ready);
        status.setAvailableReplicas(available);
        status.setObservedGeneration(rs.getMetadata().getGeneration());
        if (rs.getStatus() != null) {
            status.setConditions(rs.getStatus().getConditions());
        }
        return status;
    }
}
