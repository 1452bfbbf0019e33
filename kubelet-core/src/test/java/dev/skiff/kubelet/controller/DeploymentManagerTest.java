package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A Deployment through the real manager: its ReplicaSet is reconciled too, and statuses flow up in one pass. */
class DeploymentManagerTest {
    @TempDir
    Path dir;
    private final Map<String, PodStatus> statuses = new HashMap<>();
    private List<Pod> delivered = List.of();

    private ControllerManager manager(List<HasMetadata> deployments) {
        Random random = new Random(1);
        return new ControllerManager(new ControllerStore(dir.resolve("controllers")),
                new Controllers(List.of(new DeploymentController(), new ReplicaSetController(random))),
                k -> "Deployment".equals(k) ? deployments : List.of(),
                new ManifestObjects() {
                    @Override
                    public <T extends HasMetadata> Optional<T> get(Class<T> type, String namespace, String name) {
                        return Optional.empty();
                    }
                }, uid -> Optional.ofNullable(statuses.get(uid)),
                new ControllerManager.Delivery() {
                    @Override
                    public void pods(List<Pod> pods) {
                        delivered = pods;
                    }

                    @Override
                    public void claims(List<PersistentVolumeClaim> claims) {
                    }
                }, Clock.fixed(Instant.parse("2026-12-07T10:00:00Z"), ZoneOffset.UTC), "node-a", Map.of());
    }

    @Test
    void deploymentPodsAreDeliveredAndReadinessReachesItsStatus() {
        Deployment d = Manifests.parse(Deployment.class, """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web, namespace: shop}
                spec:
                  replicas: 2
                  selector: {matchLabels: {app: web}}
                  template:
                    metadata: {labels: {app: web}}
                    spec:
                      containers: [{name: c, image: skiff-test/busybox:1}]
                """);
        d.getMetadata().setUid(null);
        ControllerManager m = manager(List.of(d));
        m.pass(true);
        assertEquals(2, delivered.size());
        ReplicaSet rs = m.snapshot().objects(ReplicaSet.class).get(0);
        for (Pod p : delivered) {
            assertTrue(p.getMetadata().getName().startsWith(rs.getMetadata().getName() + "-"));
            assertEquals("node-a", p.getSpec().getNodeName());
            statuses.put(p.getMetadata().getUid(), new PodStatusBuilder().withPhase("Running").addNewCondition()
                    .withType("Ready").withStatus("True").withLastTransitionTime("2026-12-07T10:00:00Z").endCondition()
                    .build());
        }
        m.pass(true);
        Deployment after = (Deployment) m.snapshot().workloads("Deployment").get(0);
        assertEquals(2, after.getStatus().getAvailableReplicas());
        assertEquals(2, m.snapshot().objects(ReplicaSet.class).get(0).getStatus().getReadyReplicas());
        assertEquals("NewReplicaSetAvailable", after.getStatus().getConditions().stream()
                .filter(c -> "Progressing".equals(c.getType())).findFirst().orElseThrow().getReason());
    }
}
