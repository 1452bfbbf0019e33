package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeploymentControllerTest {
    private final FakeCluster cluster = new FakeCluster();
    private final DeploymentController controller = new DeploymentController();
    private final ReplicaSetController replicaSets = new ReplicaSetController(new Random(3));

    private static Deployment deployment(int replicas, String strategy, String image) {
        return Manifests.parse(Deployment.class, """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web, namespace: shop}
                spec:
                  replicas: %d
                  progressDeadlineSeconds: 30
                  revisionHistoryLimit: 1
                  selector: {matchLabels: {app: web}}
                  strategy: %s
                  template:
                    metadata: {labels: {app: web}}
                    spec:
                      containers: [{name: c, image: "%s"}]
                """.formatted(replicas, strategy, image));
    }

    /** Runs the deployment and its ReplicaSets until nothing changes; the kubelet reports after each round. */
    private Deployment settle(Deployment d, Consumer<FakeCluster> kubelet, Consumer<FakeCluster> invariant) {
        for (int round = 0; round < 60; round++) {
            int before = cluster.objects.hashCode();
            d = cluster.step(controller, d);
            for (ReplicaSet rs : cluster.all(ReplicaSet.class)) {
                ReplicaSet after = cluster.step(replicaSets, rs);
                cluster.objects.put(FakeCluster.key(after), after);
            }
            kubelet.accept(cluster);
            invariant.accept(cluster);
            cluster.finishTerminating();
            cluster.tick(Duration.ofSeconds(1));
            if (before == cluster.objects.hashCode() && round > 2) {
                d = cluster.step(controller, d);
                return d;
            }
        }
        return d;
    }

    private Deployment settle(Deployment d) {
        return settle(d, FakeCluster::readyAll, c -> { });
    }

    private static DeploymentCondition condition(Deployment d, String type) {
        return d.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst().orElseThrow();
    }

    private int readyActivePods() {
        int n = 0;
        for (Pod p : cluster.pods()) {
            if (p.getMetadata().getDeletionTimestamp() == null
                    && PodStates.isReady(PodStates.status(p, cluster))) {
                n++;
            }
        }
        return n;
    }

    @Test
    void replicaSetNamedByTemplateHashRunsThePods() {
        Deployment d = settle(deployment(3, "{type: RollingUpdate}", "skiff-test/busybox:1"));
        List<ReplicaSet> rses = cluster.all(ReplicaSet.class);
        assertEquals(1, rses.size());
        ReplicaSet rs = rses.get(0);
        String hash = rs.getMetadata().getLabels().get("pod-template-hash");
        assertEquals("web-" + hash, rs.getMetadata().getName());
        assertEquals(TemplateHash.compute(d.getSpec().getTemplate(), null), hash);
        assertEquals("1", rs.getMetadata().getAnnotations().get("deployment.kubernetes.io/revision"));
        assertEquals(hash, rs.getSpec().getSelector().getMatchLabels().get("pod-template-hash"));
        assertEquals(3, cluster.pods().size());
        for (Pod p : cluster.pods()) {
            assertTrue(p.getMetadata().getName().startsWith("web-" + hash + "-"));
            assertEquals(hash, p.getMetadata().getLabels().get("pod-template-hash"));
        }
        assertEquals(3, d.getStatus().getAvailableReplicas());
        assertEquals(3, d.getStatus().getUpdatedReplicas());
        assertEquals(0, d.getStatus().getUnavailableReplicas());
        assertEquals("MinimumReplicasAvailable", condition(d, "Available").getReason());
        DeploymentCondition progressing = condition(d, "Progressing");
        assertEquals("NewReplicaSetAvailable", progressing.getReason());
        assertEquals("ReplicaSet \"web-" + hash + "\" has successfully progressed.", progressing.getMessage());
        assertEquals("Scaled up replica set web-" + hash + " from 0 to 3", cluster.events.get(0).message());
    }

    @Test
    void scalesUpAndDown() {
        Deployment d = settle(deployment(2, "{type: RollingUpdate}", "skiff-test/busybox:1"));
        d.getSpec().setReplicas(5);
        d = settle(d);
        assertEquals(5, cluster.pods().size());
        assertEquals(5, d.getStatus().getReadyReplicas());
        d.getSpec().setReplicas(1);
        d = settle(d);
        assertEquals(1, cluster.pods().size());
        assertEquals(1, d.getStatus().getReplicas());
        assertEquals(1, cluster.all(ReplicaSet.class).size());
    }

    @Test
    void rolloutWithMaxUnavailableZeroNeverDropsBelowReplicasReady() {
        cluster.keepTerminating = true;
        String strategy = "{type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: 1}}";
        Deployment d = settle(deployment(3, strategy, "skiff-test/busybox:1"));
        String oldHash = cluster.all(ReplicaSet.class).get(0).getMetadata().getLabels().get("pod-template-hash");
        d.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("skiff-test/busybox:2");
        d = settle(d, FakeCluster::readyAll, c -> assertTrue(readyActivePods() >= 3, "ready pods dropped below 3"));
        List<ReplicaSet> rses = cluster.all(ReplicaSet.class);
        assertEquals(2, rses.size(), "the old ReplicaSet stays, scaled to 0 (revisionHistoryLimit 1)");
        ReplicaSet newRS = rses.stream().filter(rs -> !rs.getMetadata().getLabels().get("pod-template-hash")
                .equals(oldHash)).findFirst().orElseThrow();
        assertEquals("2", newRS.getMetadata().getAnnotations().get("deployment.kubernetes.io/revision"));
        assertEquals(3, cluster.pods().size());
        cluster.pods().forEach(p -> assertNotEquals(oldHash, p.getMetadata().getLabels().get("pod-template-hash")));
        assertEquals(3, d.getStatus().getUpdatedReplicas());
        assertEquals("NewReplicaSetAvailable", condition(d, "Progressing").getReason());

        d.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("skiff-test/busybox:3");
        settle(d);
        assertEquals(2, cluster.all(ReplicaSet.class).size(), "the oldest ReplicaSet is deleted beyond the limit");
    }

    @Test
    void brokenTemplateStopsTheRolloutAndTimesOut() {
        Deployment d = settle(deployment(4, "{type: RollingUpdate}", "skiff-test/busybox:1"));
        d.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("skiff-test/missing:1");
        // New pods are never ready: the kubelet reports them Pending.
        Consumer<FakeCluster> kubelet = c -> c.pods().forEach(p -> {
            if ("skiff-test/missing:1".equals(p.getSpec().getContainers().get(0).getImage())) {
                c.report(p, "Pending", false);
            }
        });
        d = settle(d, kubelet, c -> assertTrue(readyActivePods() >= 3, "maxUnavailable 25% of 4 is 1"));
        assertEquals(3, readyActivePods());
        assertEquals(5, cluster.pods().size(), "maxSurge 25% of 4 rounds up to 1");
        assertEquals("ReplicaSetUpdated", condition(d, "Progressing").getReason());
        assertTrue(cluster.lastRequeue.isPresent(), "requeued to check the deadline");
        cluster.tick(Duration.ofSeconds(31));
        d = cluster.step(controller, d);
        DeploymentCondition p = condition(d, "Progressing");
        assertEquals("False", p.getStatus());
        assertEquals("ProgressDeadlineExceeded", p.getReason());
        assertTrue(p.getMessage().matches("ReplicaSet \"web-[a-z0-9]+\" has timed out progressing\\."), p.getMessage());
    }

    @Test
    void recreateStopsOldPodsBeforeCreatingNewOnes() {
        cluster.keepTerminating = true;
        Deployment d = settle(deployment(2, "{type: Recreate}", "skiff-test/busybox:1"));
        d.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("skiff-test/busybox:2");
        d = settle(d, FakeCluster::readyAll, c -> {
            boolean oldLeft = c.pods().stream().anyMatch(p -> "skiff-test/busybox:1".equals(
                    p.getSpec().getContainers().get(0).getImage()));
            boolean newAny = c.pods().stream().anyMatch(p -> "skiff-test/busybox:2".equals(
                    p.getSpec().getContainers().get(0).getImage()));
            assertTrue(!(oldLeft && newAny), "old and new pods at once");
        });
        assertEquals(2, cluster.pods().size());
        assertEquals(2, d.getStatus().getAvailableReplicas());
    }

    @Test
    void validationAsUpstream() {
        Deployment d = deployment(-1, "{type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: 0}}",
                "skiff-test/busybox:1");
        List<String> errs = controller.validate(d, Optional.empty());
        assertTrue(errs.contains("spec.replicas: Invalid value: -1: must be greater than or equal to 0"), errs::toString);
        assertTrue(errs.contains("spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when"
                + " `maxSurge` is 0"), errs::toString);
        Deployment ok = deployment(1, "{type: RollingUpdate}", "skiff-test/busybox:1");
        assertEquals(List.of(), controller.validate(ok, Optional.empty()));
        Deployment moved = deployment(1, "{type: RollingUpdate}", "skiff-test/busybox:1");
        moved.getSpec().getSelector().getMatchLabels().put("tier", "x");
        moved.getSpec().getTemplate().getMetadata().getLabels().put("tier", "x");
        assertEquals(List.of("spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":"
                        + "\"web\", \"tier\":\"x\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"),
                controller.validate(moved, Optional.of(ok)));
        Deployment never = deployment(1, "{type: RollingUpdate}", "skiff-test/busybox:1");
        never.getSpec().getTemplate().getSpec().setRestartPolicy("Never");
        assertEquals(List.of("spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\""),
                controller.validate(never, Optional.empty()));
    }
}
