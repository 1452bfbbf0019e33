package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * upstream calculateStatus and syncRolloutStatus (pkg/controller/deployment/sync.go, progress.go): the counts summed
 * over the ReplicaSets, the Available condition against maxUnavailable, and the Progressing condition: true while
 * the rollout makes progress, {@code NewReplicaSetAvailable} once complete, false with
 * {@code ProgressDeadlineExceeded} when nothing moved for progressDeadlineSeconds.
 */
final class DeploymentProgress {
    private static final int DEFAULT_DEADLINE = 600;
    private static final Duration MIN_REQUEUE = Duration.ofMillis(500);

    private DeploymentProgress() {}

    static DeploymentStatus status(Deployment d, DeploymentStatus old, List<ReplicaSet> all, ReplicaSet newRS,
                                   int maxUnavailable, Integer collisionCount, Instant now) {
        int replicas = 0;
        int ready = 0;
        int available = 0;
        int total = 0;
        List<ReplicaSet> rses = new ArrayList<>(all);
        if (newRS != null && !rses.contains(newRS)) {
            rses.add(newRS);
        }
        for (ReplicaSet rs : rses) {
            total += OwnedObjects.intOr(rs.getSpec().getReplicas(), 1);
            if (rs.getStatus() != null) {
                replicas += OwnedObjects.intOr(rs.getStatus().getReplicas(), 0);
                ready += OwnedObjects.intOr(rs.getStatus().getReadyReplicas(), 0);
                available += OwnedObjects.intOr(rs.getStatus().getAvailableReplicas(), 0);
            }
        }
        DeploymentStatus s = new DeploymentStatus();
        s.setObservedGeneration(d.getMetadata().getGeneration());
        s.setReplicas(replicas);
        s.setUpdatedReplicas(newRS == null || newRS.getStatus() == null ? 0
                : OwnedObjects.intOr(newRS.getStatus().getReplicas(), 0));
        s.setReadyReplicas(ready);
        s.setAvailableReplicas(available);
        s.setUnavailableReplicas(Math.max(0, total - available));
        s.setCollisionCount(collisionCount);
        s.setConditions(old.getConditions() == null ? new ArrayList<>() : new ArrayList<>(Copies.deep(old).getConditions()));
        int want = OwnedObjects.intOr(d.getSpec().getReplicas(), 1);
        if (available >= want - maxUnavailable) {
            DeploymentConditions.set(s, DeploymentConditions.of(DeploymentConditions.AVAILABLE, "True",
                    DeploymentConditions.MIN_AVAILABLE, "Deployment has minimum availability.", now));
        } else {
            DeploymentConditions.set(s, DeploymentConditions.of(DeploymentConditions.AVAILABLE, "False",
                    DeploymentConditions.MIN_UNAVAILABLE, "Deployment does not have minimum availability.", now));
        }
        return s;
    }

    /**
     * Sets the Progressing condition on {@code s} as upstream's getNewReplicaSet and syncRolloutStatus do;
     * answers when to look again for the deadline (upstream requeueStuckDeployment).
     */
    static Optional<Duration> conditions(Deployment d, DeploymentStatus old, DeploymentStatus s, ReplicaSet newRS,
                                         String newRSReason, Instant now) {
        if (!hasDeadline(d)) {
            DeploymentConditions.remove(s, DeploymentConditions.PROGRESSING);
            return Optional.empty();
        }
        String rsName = newRS == null ? null : newRS.getMetadata().getName();
        if (DeploymentConditions.NEW_RS_CREATED.equals(newRSReason)) {
            DeploymentConditions.set(s, DeploymentConditions.of(DeploymentConditions.PROGRESSING, "True",
                    DeploymentConditions.NEW_RS_CREATED, "Created new replica set \"" + rsName + "\"", now));
            return Optional.of(deadline(d));
        }
        if (newRS != null && DeploymentConditions.get(s, DeploymentConditions.PROGRESSING).isEmpty()) {
            DeploymentConditions.set(s, DeploymentConditions.of(DeploymentConditions.PROGRESSING, "True",
                    DeploymentConditions.FOUND_NEW_RS, "Found new replica set \"" + rsName + "\"", now));
        }
        Optional<DeploymentCondition> current = DeploymentConditions.get(s, DeploymentConditions.PROGRESSING);
        String subject = rsName == null ? "Deployment \"" + d.getMetadata().getName() + "\""
                : "ReplicaSet \"" + rsName + "\"";
        boolean alreadyComplete = n(s.getReplicas()) == n(s.getUpdatedReplicas())
                && current.map(c -> DeploymentConditions.NEW_RS_AVAILABLE.equals(c.getReason())).orElse(false);
        if (!alreadyComplete) {
            if (complete(d, s)) {
                DeploymentConditions.set(s, DeploymentConditions.of(DeploymentConditions.PROGRESSING, "True",
                        DeploymentConditions.NEW_RS_AVAILABLE, subject + " has successfully progressed.", now));
            } else if (progressing(old, s)) {
                DeploymentCondition c = DeploymentConditions.of(DeploymentConditions.PROGRESSING, "True",
                        DeploymentConditions.RS_UPDATED, subject + " is progressing.", now);
                // upstream: progress refreshes lastUpdateTime even when the reason stays the same.
                if (current.isPresent()) {
                    if ("True".equals(current.get().getStatus())) {
                        c.setLastTransitionTime(current.get().getLastTransitionTime());
                    }
                    DeploymentConditions.remove(s, DeploymentConditions.PROGRESSING);
                }
                DeploymentConditions.set(s, c);
            } else if (timedOut(d, s, now)) {
                DeploymentConditions.set(s, DeploymentConditions.of(DeploymentConditions.PROGRESSING, "False",
                        DeploymentConditions.TIMED_OUT, subject + " has timed out progressing.", now));
            }
        }
        Optional<DeploymentCondition> after = DeploymentConditions.get(s, DeploymentConditions.PROGRESSING);
        if (after.isEmpty() || complete(d, s) || DeploymentConditions.TIMED_OUT.equals(after.get().getReason())) {
            return Optional.empty();
        }
        Instant from = Times.parse(after.get().getLastUpdateTime()).orElse(now);
        Duration left = Duration.between(now, from.plus(deadline(d)));
        return Optional.of(left.compareTo(MIN_REQUEUE) < 0 ? MIN_REQUEUE : left.plus(MIN_REQUEUE));
    }

    /** upstream DeploymentComplete: all replicas updated and available, the latest generation observed. */
    static boolean complete(Deployment d, DeploymentStatus s) {
        int want = OwnedObjects.intOr(d.getSpec().getReplicas(), 1);
        Long gen = d.getMetadata().getGeneration();
        return eq(s.getUpdatedReplicas(), want) && eq(s.getReplicas(), want) && eq(s.getAvailableReplicas(), want)
                && (gen == null || (s.getObservedGeneration() != null && s.getObservedGeneration() >= gen));
    }

    /** upstream DeploymentProgressing: more updated, fewer old, more ready or more available than before. */
    private static boolean progressing(DeploymentStatus old, DeploymentStatus s) {
        int oldOld = n(old.getReplicas()) - n(old.getUpdatedReplicas());
        int newOld = n(s.getReplicas()) - n(s.getUpdatedReplicas());
        return n(s.getUpdatedReplicas()) > n(old.getUpdatedReplicas()) || newOld < oldOld
                || n(s.getReadyReplicas()) > n(old.getReadyReplicas())
                || n(s.getAvailableReplicas()) > n(old.getAvailableReplicas());
    }

    private static boolean timedOut(Deployment d, DeploymentStatus s, Instant now) {
        Optional<DeploymentCondition> c = DeploymentConditions.get(s, DeploymentConditions.PROGRESSING);
        if (c.isEmpty() || DeploymentConditions.NEW_RS_AVAILABLE.equals(c.get().getReason())) {
            return false;
        }
        if (DeploymentConditions.TIMED_OUT.equals(c.get().getReason())) {
            return true;
        }
        Instant from = Times.parse(c.get().getLastUpdateTime()).orElse(now);
        return from.plus(deadline(d)).isBefore(now);
    }

    private static boolean hasDeadline(Deployment d) {
        Integer s = d.getSpec().getProgressDeadlineSeconds();
        return s == null || s != Integer.MAX_VALUE;
    }

    private static Duration deadline(Deployment d) {
        return Duration.ofSeconds(OwnedObjects.intOr(d.getSpec().getProgressDeadlineSeconds(), DEFAULT_DEADLINE));
    }

    private static boolean eq(Integer a, int b) {
        return n(a) == b;
    }

    private static int n(Integer v) {
        return v == null ? 0 : v;
    }
}
