package dev.skiff.kubelet.controller;

import dev.skiff.kubelet.pod.PodValidator;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.apps.ControllerRevision;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatus;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;

/**
 * upstream DaemonSetsController on one node: one pod here when the template's nodeSelector and required node
 * affinity match this node's labels, none otherwise. Pods carry {@code controller-revision-hash} (the template's
 * hash, also a ControllerRevision {@code <ds>-<hash>}) and {@code pod-template-generation}, and upstream's daemon
 * tolerations. RollingUpdate replaces an old pod: with maxSurge 0 it deletes it first, else it starts the new one
 * beside it and deletes the old once the new is available. OnDelete waits for the user. A failed pod is deleted
 * and replaced. Node taints are not consulted (the ControllerView has none).
 */
public final class DaemonSetController implements WorkloadController {
    static final String REVISION_HASH = "controller-revision-hash";
    static final String TEMPLATE_GENERATION = "pod-template-generation";

    private final Random random;

    public DaemonSetController(Random random) {
        this.random = random;
    }

    @Override
    public String kind() {
        return "DaemonSet";
    }

    @Override
    public List<String> validate(HasMetadata workload, Optional<HasMetadata> previous) {
        DaemonSet ds = (DaemonSet) workload;
        List<String> errs = new ArrayList<>();
        DaemonSetSpec spec = ds.getSpec();
        if (spec == null) {
            errs.add(PodValidator.required("spec", ""));
            return errs;
        }
        WorkloadValidation.selector(errs, spec.getSelector(), spec.getTemplate(), "daemonset");
        WorkloadValidation.template(errs, ds, spec.getTemplate(), List.of("Always"));
        WorkloadValidation.nonNegative(errs, spec.getMinReadySeconds(), "spec.minReadySeconds");
        WorkloadValidation.nonNegative(errs, spec.getRevisionHistoryLimit(), "spec.revisionHistoryLimit");
        var strategy = spec.getUpdateStrategy();
        if (strategy != null) {
            String type = strategy.getType() == null ? "RollingUpdate" : strategy.getType();
            if (!"RollingUpdate".equals(type) && !"OnDelete".equals(type)) {
                errs.add(PodValidator.notSupported("spec.updateStrategy.type", type, List.of("OnDelete", "RollingUpdate")));
            } else if (strategy.getRollingUpdate() != null) {
                var ru = strategy.getRollingUpdate();
                IntOrPercent.validate(errs, ru.getMaxUnavailable(), "spec.updateStrategy.rollingUpdate.maxUnavailable");
                IntOrPercent.validate(errs, ru.getMaxSurge(), "spec.updateStrategy.rollingUpdate.maxSurge");
                if (ru.getMaxUnavailable() != null && IntOrPercent.isZero(ru.getMaxUnavailable())
                        && IntOrPercent.isZero(ru.getMaxSurge())) {
                    errs.add("spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: "
                            + IntOrPercent.show(ru.getMaxUnavailable()) + ": may not be 0 when `maxSurge` is 0");
                }
            }
        }
        previous.map(DaemonSet.class::cast).filter(p -> p.getSpec() != null).ifPresent(p ->
                WorkloadValidation.immutable(errs, spec.getSelector(), p.getSpec().getSelector(), "spec.selector",
                        LabelSelectors.goSelector(spec.getSelector())));
        return errs;
    }

    @Override
    public Reconciliation reconcile(HasMetadata workload, ControllerView view) {
        DaemonSet ds = (DaemonSet) workload;
        String uid = ds.getMetadata().getUid();
        String name = ds.getMetadata().getName();
        Integer collisions = ds.getStatus() == null ? null : ds.getStatus().getCollisionCount();
        String hash = TemplateHash.compute(ds.getSpec().getTemplate(), collisions);
        int minReady = OwnedObjects.intOr(ds.getSpec().getMinReadySeconds(), 0);
        List<HasMetadata> create = new ArrayList<>();
        List<ObjectRef> delete = new ArrayList<>();
        List<ControllerEvent> events = new ArrayList<>();

        List<ControllerRevision> revisions = view.owned(ControllerRevision.class, uid);
        if (revisions.stream().noneMatch(r -> hash.equals(OwnedObjects.labels(r).get(REVISION_HASH)))) {
            long next = revisions.stream().mapToLong(ControllerRevision::getRevision).max().orElse(0) + 1;
            create.add(revision(ds, hash, next));
        }

        List<Pod> active = new ArrayList<>();
        for (Pod p : view.owned(Pod.class, uid)) {
            if ("Failed".equals(PodStates.phase(PodStates.status(p, view))) && !PodStates.isTerminating(p)) {
                delete.add(ObjectRef.of(p));
                events.add(ControllerEvent.warning("FailedDaemonPod", "Found failed daemon pod "
                        + p.getMetadata().getNamespace() + "/" + p.getMetadata().getName() + " on node "
                        + view.nodeName() + ", will try to kill it"));
            } else if (PodStates.isActive(p, view)) {
                active.add(p);
            }
        }
        active.sort(Comparator.comparing((Pod p) -> p.getMetadata().getCreationTimestamp(),
                Comparator.nullsLast(Comparator.naturalOrder())).thenComparing(p -> p.getMetadata().getName()));
        boolean shouldRun = shouldRun(ds, view);
        List<Pod> keep = new ArrayList<>();
        if (!shouldRun) {
            active.forEach(p -> deletePod(p, delete, events));
        } else {
            List<Pod> current = active.stream().filter(p -> hash.equals(OwnedObjects.labels(p).get(REVISION_HASH)))
                    .toList();
            List<Pod> old = active.stream().filter(p -> !current.contains(p)).toList();
            // upstream: more than one pod of a revision on a node: all but the oldest go.
            for (int i = 1; i < current.size(); i++) {
                deletePod(current.get(i), delete, events);
            }
            for (int i = 1; i < old.size(); i++) {
                deletePod(old.get(i), delete, events);
            }
            Pod cur = current.isEmpty() ? null : current.get(0);
            Pod was = old.isEmpty() ? null : old.get(0);
            boolean rolling = !"OnDelete".equals(strategyType(ds));
            if (cur == null && was == null) {
                create.add(pod(ds, hash, view, events));
            } else if (cur == null && rolling) {
                if (maxSurge(ds) > 0) {
                    create.add(pod(ds, hash, view, events));
                    keep.add(was);
                } else {
                    deletePod(was, delete, events);
                }
            } else if (cur != null && was != null && rolling) {
                if (PodStates.isAvailable(PodStates.status(cur, view), minReady, view.now())) {
                    deletePod(was, delete, events);
                } else {
                    keep.add(was);
                }
                keep.add(cur);
            } else {
                if (cur != null) {
                    keep.add(cur);
                }
                if (was != null) {
                    keep.add(was);
                }
            }
        }
        DaemonSetStatus status = status(ds, shouldRun, active, keep, hash, view, minReady);
        DaemonSet withStatus = null;
        if (!Objects.equals(status, ds.getStatus())) {
            withStatus = Copies.deep(ds);
            withStatus.setStatus(status);
        }
        var requeue = minReady > 0 && status.getNumberReady() > status.getNumberAvailable()
                ? Optional.of(java.time.Duration.ofSeconds(minReady)) : Optional.<java.time.Duration>empty();
        cleanupRevisions(ds, revisions, hash, view, delete);
        return new Reconciliation(create, List.of(), delete, withStatus, events, requeue);
    }

    /** upstream nodeShouldRunDaemonPod, without taints: nodeSelector and required node affinity. */
    static boolean shouldRun(DaemonSet ds, ControllerView view) {
        var spec = ds.getSpec().getTemplate().getSpec();
        Map<String, String> labels = view.nodeLabels();
        if (spec.getNodeSelector() != null) {
            for (var e : spec.getNodeSelector().entrySet()) {
                if (!e.getValue().equals(labels.get(e.getKey()))) {
                    return false;
                }
            }
        }
        var affinity = spec.getAffinity();
        if (affinity == null || affinity.getNodeAffinity() == null
                || affinity.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() == null) {
            return true;
        }
        List<NodeSelectorTerm> terms = affinity.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution()
                .getNodeSelectorTerms();
        return terms != null && terms.stream().anyMatch(t -> LabelSelectors.matches(t, view.nodeName(), labels));
    }

    private Pod pod(DaemonSet ds, String hash, ControllerView view, List<ControllerEvent> events) {
        String prefix = ds.getMetadata().getName() + "-";
        String podName = ObjectNames.generate(prefix, random);
        Pod pod = OwnedObjects.podFromTemplate(ds, ds.getSpec().getTemplate(), prefix, podName);
        pod.getMetadata().getLabels().put(REVISION_HASH, hash);
        pod.getMetadata().getLabels().put(TEMPLATE_GENERATION,
                String.valueOf(Optional.ofNullable(ds.getMetadata().getGeneration()).orElse(1L)));
        pod.getSpec().setNodeName(view.nodeName());
        List<Toleration> tolerations = pod.getSpec().getTolerations() == null ? new ArrayList<>()
                : new ArrayList<>(pod.getSpec().getTolerations());
        addToleration(tolerations, "node.kubernetes.io/not-ready", "NoExecute");
        addToleration(tolerations, "node.kubernetes.io/unreachable", "NoExecute");
        addToleration(tolerations, "node.kubernetes.io/disk-pressure", "NoSchedule");
        addToleration(tolerations, "node.kubernetes.io/memory-pressure", "NoSchedule");
        addToleration(tolerations, "node.kubernetes.io/pid-pressure", "NoSchedule");
        addToleration(tolerations, "node.kubernetes.io/unschedulable", "NoSchedule");
        if (Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
            addToleration(tolerations, "node.kubernetes.io/network-unavailable", "NoSchedule");
        }
        pod.getSpec().setTolerations(tolerations);
        events.add(ControllerEvent.normal("SuccessfulCreate", "Created pod: " + podName));
        return pod;
    }

    /** upstream AddOrUpdateDaemonPodTolerations: an Exists toleration per node condition taint. */
    private static void addToleration(List<Toleration> list, String key, String effect) {
        if (list.stream().noneMatch(t -> key.equals(t.getKey()) && effect.equals(t.getEffect()))) {
            list.add(new TolerationBuilder().withKey(key).withOperator("Exists").withEffect(effect).build());
        }
    }

    private static void deletePod(Pod p, List<ObjectRef> delete, List<ControllerEvent> events) {
        delete.add(ObjectRef.of(p));
        events.add(ControllerEvent.normal("SuccessfulDelete", "Deleted pod: " + p.getMetadata().getName()));
    }

    private static ControllerRevision revision(DaemonSet ds, String hash, long number) {
        ControllerRevision r = new ControllerRevision();
        r.setApiVersion("apps/v1");
        r.setKind("ControllerRevision");
        ObjectMeta meta = new ObjectMeta();
        meta.setName(ds.getMetadata().getName() + "-" + hash);
        meta.setNamespace(ds.getMetadata().getNamespace());
        ObjectMeta tm = ds.getSpec().getTemplate().getMetadata();
        Map<String, String> labels = tm == null || tm.getLabels() == null ? new LinkedHashMap<>()
                : new LinkedHashMap<>(tm.getLabels());
        labels.put(REVISION_HASH, hash);
        meta.setLabels(labels);
        meta.setOwnerReferences(List.of(OwnedObjects.controllerRef(ds)));
        r.setMetadata(meta);
        r.setRevision(number);
        // upstream getPatch: the template as a strategic merge patch that replaces it.
        Map<String, Object> template = Copies.toMap(ds.getSpec().getTemplate());
        template.put("$patch", "replace");
        r.setData(Map.of("spec", Map.of("template", template)));
        return r;
    }

    /** Old revisions beyond revisionHistoryLimit that no pod uses, oldest first. */
    private static void cleanupRevisions(DaemonSet ds, List<ControllerRevision> revisions, String hash,
                                         ControllerView view, List<ObjectRef> delete) {
        int limit = OwnedObjects.intOr(ds.getSpec().getRevisionHistoryLimit(), 10);
        List<String> inUse = view.owned(Pod.class, ds.getMetadata().getUid()).stream()
                .map(p -> OwnedObjects.labels(p).get(REVISION_HASH)).toList();
        List<ControllerRevision> old = new ArrayList<>(revisions.stream()
                .filter(r -> !hash.equals(OwnedObjects.labels(r).get(REVISION_HASH)))
                .filter(r -> !inUse.contains(OwnedObjects.labels(r).get(REVISION_HASH))).toList());
        old.sort(Comparator.comparingLong(ControllerRevision::getRevision));
        for (int i = 0; i < old.size() - limit; i++) {
            delete.add(ObjectRef.of(old.get(i)));
        }
    }

    private static DaemonSetStatus status(DaemonSet ds, boolean shouldRun, List<Pod> active, List<Pod> keep,
                                          String hash, ControllerView view, int minReady) {
        DaemonSetStatus s = new DaemonSetStatus();
        int ready = 0;
        int available = 0;
        int updated = 0;
        for (Pod p : shouldRun ? active : List.<Pod>of()) {
            PodStatus ps = PodStates.status(p, view);
            if (PodStates.isReady(ps)) {
                ready = 1;
                if (PodStates.isAvailable(ps, minReady, view.now())) {
                    available = 1;
                }
            }
            if (hash.equals(OwnedObjects.labels(p).get(REVISION_HASH))) {
                updated = 1;
            }
        }
        int desired = shouldRun ? 1 : 0;
        s.setDesiredNumberScheduled(desired);
        s.setCurrentNumberScheduled(shouldRun && !active.isEmpty() ? 1 : 0);
        s.setNumberMisscheduled(!shouldRun && !active.isEmpty() ? 1 : 0);
        s.setNumberReady(ready);
        s.setNumberAvailable(available);
        s.setNumberUnavailable(desired - available);
        s.setUpdatedNumberScheduled(updated);
        s.setObservedGeneration(ds.getMetadata().getGeneration());
        s.setCollisionCount(ds.getStatus() == null ? null : ds.getStatus().getCollisionCount());
        return s;
    }

    private static String strategyType(DaemonSet ds) {
        var s = ds.getSpec().getUpdateStrategy();
        return s == null || s.getType() == null ? "RollingUpdate" : s.getType();
    }

    private static int maxSurge(DaemonSet ds) {
        var s = ds.getSpec().getUpdateStrategy();
        IntOrString surge = s == null || s.getRollingUpdate() == null ? null : s.getRollingUpdate().getMaxSurge();
        return IntOrPercent.scaled(surge, 1, true);
    }
}
