package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetSpec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * upstream DeploymentController (pkg/controller/deployment): the ReplicaSet of the current template is named
 * {@code <deployment>-<pod-template-hash>} and its pods carry that label; RollingUpdate scales it up within
 * maxSurge and the old ones down within maxUnavailable (only available pods count, so a template whose pods
 * never become ready stops the rollout there); Recreate scales the old ones to 0, waits for their pods to be gone,
 * then scales the new one up. Each reconcile takes one step, as upstream's sync does, and computes the status with
 * the Available and Progressing conditions (progressDeadlineSeconds). Old ReplicaSets beyond
 * revisionHistoryLimit are deleted once the rollout is complete. Paused deployments and proportional scaling of a
 * rollout in progress are not implemented: a paused deployment rolls out as an unpaused one.
 */
public final class DeploymentController implements WorkloadController {
    static final String HASH_LABEL = "pod-template-hash";
    static final String REVISION = "deployment.kubernetes.io/revision";
    static final String DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas";
    static final String MAX_REPLICAS = "deployment.kubernetes.io/max-replicas";
    private static final IntOrString DEFAULT_PERCENT = new IntOrString("25%");

    @Override
    public String kind() {
        return "Deployment";
    }

    @Override
    public List<String> validate(HasMetadata workload, Optional<HasMetadata> previous) {
        return DeploymentValidation.validate((Deployment) workload, previous.map(Deployment.class::cast));
    }

    @Override
    public Reconciliation reconcile(HasMetadata workload, ControllerView view) {
        return new Sync((Deployment) workload, view).run();
    }

    /** One sync of one deployment: the ReplicaSets as read, the changes made to them, the events. */
    private static final class Sync {
        private final Deployment d;
        private final ControllerView view;
        private final int replicas;
        private final List<ReplicaSet> all = new ArrayList<>();
        private final Map<String, ReplicaSet> updated = new LinkedHashMap<>();
        private final List<HasMetadata> create = new ArrayList<>();
        private final List<ObjectRef> delete = new ArrayList<>();
        private final List<ControllerEvent> events = new ArrayList<>();
        private ReplicaSet newRS;
        private final List<ReplicaSet> old = new ArrayList<>();
        private final DeploymentStatus oldStatus;
        private Integer collisionCount;
        private String newRSCondition;

        Sync(Deployment d, ControllerView view) {
            this.d = d;
            this.view = view;
            this.replicas = OwnedObjects.intOr(d.getSpec().getReplicas(), 1);
            this.oldStatus = d.getStatus() == null ? new DeploymentStatus() : d.getStatus();
            this.collisionCount = oldStatus.getCollisionCount();
            for (ReplicaSet rs : view.owned(ReplicaSet.class, d.getMetadata().getUid())) {
                if (rs.getMetadata().getDeletionTimestamp() == null) {
                    all.add(Copies.deep(rs));
                }
            }
            all.sort(Comparator.comparing((ReplicaSet rs) -> rs.getMetadata().getCreationTimestamp(),
                    Comparator.nullsLast(Comparator.naturalOrder())).thenComparing(rs -> rs.getMetadata().getName()));
            String want = templateKey(d.getSpec().getTemplate());
            for (ReplicaSet rs : all) {
                if (newRS == null && templateKey(rs.getSpec().getTemplate()).equals(want)) {
                    newRS = rs;
                } else {
                    old.add(rs);
                }
            }
        }

        Reconciliation run() {
            boolean recreate = "Recreate".equals(strategyType());
            if (newRS == null && !recreate) {
                return createNewRS(newRSReplicas(0));
            }
            if (newRS != null) {
                syncRevision();
            }
            boolean done = recreate ? recreate() : rolling();
            if (done && newRS == null) {
                return createNewRS(replicas);
            }
            if (!done && complete(oldStatus)) {
                cleanup();
            }
            return finish();
        }

        // RollingUpdate: scale up the new RS if we can, else scale down old ones if we can (upstream rolloutRolling).
        private boolean rolling() {
            int current = spec(newRS);
            if (current > replicas) {
                scale(newRS, replicas);
                return false;
            }
            if (current < replicas) {
                int next = newRSReplicas(current);
                if (next != current) {
                    scale(newRS, next);
                    return false;
                }
            }
            reconcileOld();
            return false;
        }

        /** Recreate: true when old pods are gone and the new RS may be created or scaled up. */
        private boolean recreate() {
            boolean scaledDown = false;
            for (ReplicaSet rs : old) {
                if (spec(rs) > 0) {
                    scale(rs, 0);
                    scaledDown = true;
                }
            }
            if (scaledDown || oldPodsRunning()) {
                return false;
            }
            if (newRS == null) {
                return true;
            }
            if (spec(newRS) != replicas) {
                scale(newRS, replicas);
            }
            return false;
        }

        private boolean oldPodsRunning() {
            for (ReplicaSet rs : old) {
                if (rs.getStatus() != null && OwnedObjects.intOr(rs.getStatus().getReplicas(), 0) > 0) {
                    return true;
                }
                for (Pod p : view.owned(Pod.class, rs.getMetadata().getUid())) {
                    String phase = PodStates.phase(PodStates.status(p, view));
                    if (!"Succeeded".equals(phase) && !"Failed".equals(phase)) {
                        return true;
                    }
                }
            }
            return false;
        }

        /** upstream NewRSNewReplicas for RollingUpdate: up to replicas + maxSurge pods in all. */
        private int newRSReplicas(int current) {
            if ("Recreate".equals(strategyType())) {
                return replicas;
            }
            int maxTotal = replicas + IntOrPercent.scaled(maxSurge(), replicas, true);
            int all = total();
            if (all >= maxTotal) {
                return current;
            }
            return current + Math.min(maxTotal - all, replicas - current);
        }

        /** upstream reconcileOldReplicaSets: cleanupUnhealthyReplicas, then scale down within maxUnavailable. */
        private void reconcileOld() {
            int oldCount = 0;
            for (ReplicaSet rs : old) {
                oldCount += spec(rs);
            }
            if (oldCount == 0) {
                return;
            }
            int minAvailable = replicas - maxUnavailable();
            int newUnavailable = spec(newRS) - available(newRS);
            int maxScaledDown = total() - minAvailable - newUnavailable;
            if (maxScaledDown <= 0) {
                return;
            }
            int cleaned = 0;
            for (ReplicaSet rs : old) {
                if (cleaned >= maxScaledDown) {
                    break;
                }
                int unhealthy = spec(rs) - available(rs);
                if (spec(rs) == 0 || unhealthy <= 0) {
                    continue;
                }
                int n = Math.min(maxScaledDown - cleaned, unhealthy);
                scale(rs, spec(rs) - n);
                cleaned += n;
            }
            int availableCount = 0;
            for (ReplicaSet rs : all) {
                availableCount += available(rs);
            }
            if (availableCount <= minAvailable) {
                return;
            }
            int toScaleDown = availableCount - minAvailable;
            int scaled = 0;
            for (ReplicaSet rs : old) {
                if (scaled >= toScaleDown) {
                    break;
                }
                if (spec(rs) == 0) {
                    continue;
                }
                int n = Math.min(spec(rs), toScaleDown - scaled);
                scale(rs, spec(rs) - n);
                scaled += n;
            }
        }

        private Reconciliation createNewRS(int count) {
            String hash = TemplateHash.compute(d.getSpec().getTemplate(), collisionCount);
            String name = d.getMetadata().getName() + "-" + hash;
            Optional<ReplicaSet> clash = view.get(ReplicaSet.class, d.getMetadata().getNamespace(), name);
            DeploymentStatus status = Copies.deep(oldStatus);
            if (clash.isPresent()) {
                // upstream: a ReplicaSet of that name with another template is a hash collision; bump and retry.
                status.setCollisionCount(collisionCount == null ? 1 : collisionCount + 1);
                return new Reconciliation(List.of(), List.of(), List.of(), withStatus(status), List.of(),
                        Optional.empty());
            }
            ReplicaSet rs = newReplicaSet(name, hash, count);
            create.add(rs);
            events.add(ControllerEvent.normal("ScalingReplicaSet",
                    "Scaled up replica set " + name + " from 0 to " + count));
            newRS = rs;
            newRSCondition = DeploymentConditions.NEW_RS_CREATED;
            return finish();
        }

        private ReplicaSet newReplicaSet(String name, String hash, int count) {
            PodTemplateSpec template = Copies.deep(d.getSpec().getTemplate());
            if (template.getMetadata() == null) {
                template.setMetadata(new ObjectMeta());
            }
            Map<String, String> labels = template.getMetadata().getLabels() == null
                    ? new LinkedHashMap<>() : new LinkedHashMap<>(template.getMetadata().getLabels());
            labels.put(HASH_LABEL, hash);
            template.getMetadata().setLabels(labels);
            LabelSelector selector = Copies.deep(d.getSpec().getSelector());
            Map<String, String> match = selector.getMatchLabels() == null ? new LinkedHashMap<>()
                    : new LinkedHashMap<>(selector.getMatchLabels());
            match.put(HASH_LABEL, hash);
            selector.setMatchLabels(match);

            ReplicaSet rs = new ReplicaSet();
            rs.setApiVersion("apps/v1");
            rs.setKind("ReplicaSet");
            ObjectMeta meta = new ObjectMeta();
            meta.setName(name);
            meta.setNamespace(d.getMetadata().getNamespace());
            meta.setLabels(new LinkedHashMap<>(labels));
            Map<String, String> annotations = new LinkedHashMap<>();
            annotations.put(DESIRED_REPLICAS, String.valueOf(replicas));
            annotations.put(MAX_REPLICAS, String.valueOf(maxReplicas()));
            annotations.put(REVISION, String.valueOf(maxOldRevision() + 1));
            meta.setAnnotations(annotations);
            meta.setOwnerReferences(List.of(OwnedObjects.controllerRef(d)));
            rs.setMetadata(meta);
            ReplicaSetSpec spec = new ReplicaSetSpec();
            spec.setReplicas(count);
            spec.setMinReadySeconds(d.getSpec().getMinReadySeconds());
            spec.setSelector(selector);
            spec.setTemplate(template);
            rs.setSpec(spec);
            return rs;
        }

        /** The new RS carries revision max(old)+1 (a rollback to an old template renumbers it). */
        private void syncRevision() {
            long want = maxOldRevision() + 1;
            if (revision(newRS) < want) {
                annotate(newRS).put(REVISION, String.valueOf(want));
                updated.put(newRS.getMetadata().getName(), newRS);
            }
        }

        private void scale(ReplicaSet rs, int to) {
            int from = spec(rs);
            rs.getSpec().setReplicas(to);
            Map<String, String> a = annotate(rs);
            a.put(DESIRED_REPLICAS, String.valueOf(replicas));
            a.put(MAX_REPLICAS, String.valueOf(maxReplicas()));
            updated.put(rs.getMetadata().getName(), rs);
            events.add(ControllerEvent.normal("ScalingReplicaSet", "Scaled " + (to > from ? "up" : "down")
                    + " replica set " + rs.getMetadata().getName() + " from " + from + " to " + to));
        }

        /** upstream cleanupDeployment: old RSes with no replicas beyond revisionHistoryLimit, oldest first. */
        private void cleanup() {
            int limit = OwnedObjects.intOr(d.getSpec().getRevisionHistoryLimit(), 10);
            List<ReplicaSet> cleanable = new ArrayList<>(old);
            int diff = cleanable.size() - limit;
            if (diff <= 0) {
                return;
            }
            cleanable.sort(Comparator.comparingLong(Sync::revision));
            for (ReplicaSet rs : cleanable.subList(0, diff)) {
                int statusReplicas = rs.getStatus() == null ? 0 : OwnedObjects.intOr(rs.getStatus().getReplicas(), 0);
                if (statusReplicas == 0 && spec(rs) == 0 && !updated.containsKey(rs.getMetadata().getName())) {
                    delete.add(ObjectRef.of(rs));
                }
            }
        }

        private Reconciliation finish() {
            DeploymentStatus status = DeploymentProgress.status(d, oldStatus, all, newRS, maxUnavailable(),
                    collisionCount, view.now());
            Optional<Duration> requeue = DeploymentProgress.conditions(d, oldStatus, status, newRS, newRSCondition,
                    view.now());
            return new Reconciliation(create, List.copyOf(updated.values()), delete,
                    status.equals(oldStatus) ? null : withStatus(status), events, requeue);
        }

        private Deployment withStatus(DeploymentStatus status) {
            Deployment copy = Copies.deep(d);
            copy.setStatus(status);
            return copy;
        }

        private String strategyType() {
            var s = d.getSpec().getStrategy();
            return s == null || s.getType() == null || s.getType().isEmpty() ? "RollingUpdate" : s.getType();
        }

        private IntOrString maxSurge() {
            var s = d.getSpec().getStrategy();
            return s == null || s.getRollingUpdate() == null || s.getRollingUpdate().getMaxSurge() == null
                    ? DEFAULT_PERCENT : s.getRollingUpdate().getMaxSurge();
        }

        /** upstream deploymentutil.MaxUnavailable: ResolveFenceposts (1 when both round to 0), capped at replicas. */
        private int maxUnavailable() {
            if (!"RollingUpdate".equals(strategyType()) || replicas == 0) {
                return 0;
            }
            var s = d.getSpec().getStrategy();
            IntOrString u = s == null || s.getRollingUpdate() == null || s.getRollingUpdate().getMaxUnavailable() == null
                    ? DEFAULT_PERCENT : s.getRollingUpdate().getMaxUnavailable();
            int surge = IntOrPercent.scaled(maxSurge(), replicas, true);
            int unavailable = IntOrPercent.scaled(u, replicas, false);
            if (surge == 0 && unavailable == 0) {
                unavailable = 1;
            }
            return Math.min(unavailable, replicas);
        }

        private int maxReplicas() {
            return "RollingUpdate".equals(strategyType())
                    ? replicas + IntOrPercent.scaled(maxSurge(), replicas, true) : replicas;
        }

        private int total() {
            int n = 0;
            for (ReplicaSet rs : all) {
                n += spec(rs);
            }
            return n;
        }

        private long maxOldRevision() {
            long max = 0;
            for (ReplicaSet rs : old) {
                max = Math.max(max, revision(rs));
            }
            return max;
        }

        private static long revision(ReplicaSet rs) {
            String v = rs.getMetadata().getAnnotations() == null ? null
                    : rs.getMetadata().getAnnotations().get(REVISION);
            try {
                return v == null ? 0 : Long.parseLong(v);
            } catch (NumberFormatException e) {
                return 0;
            }
        }

        private static Map<String, String> annotate(ReplicaSet rs) {
            if (rs.getMetadata().getAnnotations() == null) {
                rs.getMetadata().setAnnotations(new LinkedHashMap<>());
            }
            return rs.getMetadata().getAnnotations();
        }

        static int spec(ReplicaSet rs) {
            return rs == null ? 0 : OwnedObjects.intOr(rs.getSpec().getReplicas(), 1);
        }

        /** Available pods of the RS; never more than it is scaled to (its status may not have caught up yet). */
        static int available(ReplicaSet rs) {
            if (rs == null || rs.getStatus() == null) {
                return 0;
            }
            return Math.min(OwnedObjects.intOr(rs.getStatus().getAvailableReplicas(), 0), spec(rs));
        }

        private boolean complete(DeploymentStatus s) {
            return DeploymentProgress.complete(d, s);
        }
    }

    /** The template without the pod-template-hash label, as a comparable key (upstream EqualIgnoreHash). */
    static String templateKey(PodTemplateSpec template) {
        PodTemplateSpec t = Copies.deep(template);
        if (t.getMetadata() != null && t.getMetadata().getLabels() != null) {
            Map<String, String> labels = new LinkedHashMap<>(t.getMetadata().getLabels());
            labels.remove(HASH_LABEL);
            t.getMetadata().setLabels(labels);
        }
        return TemplateHash.canonical(t);
    }
}
