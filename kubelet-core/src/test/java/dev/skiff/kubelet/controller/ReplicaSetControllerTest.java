package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplicaSetControllerTest {
    private final FakeCluster cluster = new FakeCluster();
    private final ReplicaSetController controller = new ReplicaSetController(new Random(7));

    private static ReplicaSet rs(int replicas, int minReady) {
        return Manifests.parse(ReplicaSet.class, """
                apiVersion: apps/v1
                kind: ReplicaSet
                metadata: {name: front, namespace: shop}
                spec:
                  replicas: %d
                  minReadySeconds: %d
                  selector: {matchLabels: {app: front}}
                  template:
                    metadata: {labels: {app: front}, annotations: {a: b}}
                    spec:
                      containers: [{name: c, image: skiff-test/busybox:1}]
                """.formatted(replicas, minReady));
    }

    @Test
    void createsPodsFromTheTemplateWithGeneratedNamesAndOwnerReference() {
        ReplicaSet rs = cluster.step(controller, rs(3, 0));
        List<Pod> pods = cluster.pods();
        assertEquals(3, pods.size());
        for (Pod p : pods) {
            assertTrue(p.getMetadata().getName().matches("front-[bcdfghjklmnpqrstvwxz2456789]{5}"),
                    p.getMetadata().getName());
            assertEquals("front-", p.getMetadata().getGenerateName());
            assertEquals("shop", p.getMetadata().getNamespace());
            assertEquals("front", p.getMetadata().getLabels().get("app"));
            assertEquals("b", p.getMetadata().getAnnotations().get("a"));
            var ref = p.getMetadata().getOwnerReferences().get(0);
            assertEquals("ReplicaSet", ref.getKind());
            assertEquals(rs.getMetadata().getUid(), ref.getUid());
            assertTrue(ref.getController());
        }
        assertEquals("SuccessfulCreate", cluster.events.get(0).reason());
        assertEquals("Created pod: " + pods.get(0).getMetadata().getName(), cluster.events.get(0).message());
        assertEquals(0, rs.getStatus().getReplicas(), "status counts the pods seen, before the creations");
        rs = cluster.step(controller, rs);
        assertEquals(3, cluster.pods().size(), "no more pods once there are 3");
        assertEquals(3, rs.getStatus().getReplicas());
        assertEquals(0, rs.getStatus().getReadyReplicas());
    }

    @Test
    void scalesDownNotReadyPodsFirstThenTheNewest() {
        ReplicaSet rs = cluster.step(controller, rs(3, 0));
        List<Pod> pods = cluster.pods();
        cluster.report(pods.get(0), "Running", true);
        cluster.report(pods.get(1), "Running", false);
        cluster.report(pods.get(2), "Running", true);
        rs.getSpec().setReplicas(1);
        var r = controller.reconcile(rs, cluster);
        assertEquals(2, r.delete().size());
        assertEquals(pods.get(1).getMetadata().getName(), r.delete().get(0).name(), "the not-ready pod goes first");
        assertEquals("SuccessfulDelete", r.events().get(0).reason());
    }

    @Test
    void replacesTerminatingAndFinishedPodsAndCountsReadyAndAvailable() {
        cluster.keepTerminating = true;
        ReplicaSet rs = cluster.step(controller, rs(2, 10));
        List<Pod> pods = cluster.pods();
        cluster.report(pods.get(0), "Running", true);
        cluster.report(pods.get(1), "Failed", false);
        rs = cluster.step(controller, rs);
        assertEquals(3, cluster.pods().size(), "the failed pod is replaced");
        assertEquals(1, rs.getStatus().getReadyReplicas());
        assertEquals(0, rs.getStatus().getAvailableReplicas(), "not ready for minReadySeconds yet");
        assertEquals(Optional.of(Duration.ofSeconds(10)), cluster.lastRequeue);
        cluster.tick(Duration.ofSeconds(10));
        rs = cluster.step(controller, rs);
        assertEquals(1, rs.getStatus().getAvailableReplicas());
    }

    @Test
    void validationAsUpstream() {
        ReplicaSet bad = rs(-1, 0);
        bad.getSpec().getTemplate().getMetadata().getLabels().put("app", "other");
        List<String> errs = controller.validate(bad, Optional.empty());
        assertTrue(errs.contains("spec.replicas: Invalid value: -1: must be greater than or equal to 0"), errs::toString);
        assertTrue(errs.contains("spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"other\"}:"
                + " `selector` does not match template `labels`"), errs::toString);
        assertFalse(controller.validate(rs(1, 0), Optional.empty()).iterator().hasNext());
    }
}
