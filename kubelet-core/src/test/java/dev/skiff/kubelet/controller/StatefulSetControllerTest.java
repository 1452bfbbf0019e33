package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The StatefulSet controller driven by the real manager, with the kubelet's statuses played by the test. */
class StatefulSetControllerTest {
    @TempDir
    Path dir;

    private final ManagerFixture cluster = new ManagerFixture();
    private final Map<String, List<HasMetadata>> manifests = cluster.manifests;
    private final Map<String, PodStatus> statuses = cluster.statuses;

    private ControllerManager manager() {
        return cluster.manager(dir, new StatefulSetController());
    }

    static StatefulSet web(int replicas, String image, String policy) {
        return new StatefulSetBuilder().withApiVersion("apps/v1").withKind("StatefulSet").withNewMetadata()
                .withName("web").endMetadata().withNewSpec().withReplicas(replicas).withServiceName("nginx")
                .withPodManagementPolicy(policy)
                .withNewSelector().addToMatchLabels("app", "nginx").endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", "nginx").endMetadata().withNewSpec()
                .addNewContainer().withName("web").withImage(image).addNewVolumeMount().withName("www")
                .withMountPath("/www").endVolumeMount().endContainer().endSpec().endTemplate()
                .addNewVolumeClaimTemplate().withNewMetadata().withName("www").endMetadata().withNewSpec()
                .withAccessModes("ReadWriteOnce").withStorageClassName("loopback").withNewResources()
                .addToRequests("storage", new Quantity("16Mi")).endResources().endSpec().endVolumeClaimTemplate()
                .endSpec().build();
    }

    private void ready(String podName) {
        Pod p = pod(podName);
        statuses.put(p.getMetadata().getUid(), new PodStatusBuilder().withPhase("Running").addNewCondition()
                .withType("Ready").withStatus("True").withLastTransitionTime("2026-12-07T09:00:00Z").endCondition().build());
    }

    private Pod pod(String name) {
        return cluster.pods.stream().filter(p -> p.getMetadata().getName().equals(name)).findFirst().orElseThrow();
    }

    private List<String> names() {
        return cluster.pods.stream().map(p -> p.getMetadata().getName()).sorted().toList();
    }

    @Test
    void orderedReadyCreatesEachPodWithItsClaimOnlyOnceThePreviousIsReady() {
        ControllerManager m = manager();
        manifests.put("StatefulSet", List.of(web(3, "img:1", null)));
        m.pass(true);
        assertEquals(List.of("web-0"), names());
        Pod web0 = pod("web-0");
        assertEquals("web-0", web0.getSpec().getHostname());
        assertEquals("nginx", web0.getSpec().getSubdomain());
        assertEquals("web-0", web0.getMetadata().getLabels().get("statefulset.kubernetes.io/pod-name"));
        assertEquals("0", web0.getMetadata().getLabels().get("apps.kubernetes.io/pod-index"));
        assertTrue(web0.getMetadata().getLabels().get("controller-revision-hash").startsWith("web-"));
        assertEquals("www-web-0", web0.getSpec().getVolumes().get(0).getPersistentVolumeClaim().getClaimName());
        assertEquals(List.of("www-web-0"), cluster.claims.stream().map(c -> c.getMetadata().getName()).toList());
        m.pass(true);
        assertEquals(List.of("web-0"), names(), "web-1 waits for web-0 Running and Ready");
        ready("web-0");
        m.pass(true);
        assertEquals(List.of("web-0", "web-1"), names());
        ready("web-1");
        m.pass(true);
        ready("web-2");
        m.pass(true);
        StatefulSet s = (StatefulSet) m.snapshot().workloads("StatefulSet").get(0);
        assertEquals(3, s.getStatus().getReadyReplicas());
        assertEquals(3, s.getStatus().getReplicas());
        assertEquals(s.getStatus().getUpdateRevision(), s.getStatus().getCurrentRevision());
        assertEquals(1L, s.getStatus().getObservedGeneration());
    }

    @Test
    void scaleDownGoesHighestFirstAndKeepsTheClaims() {
        ControllerManager m = manager();
        manifests.put("StatefulSet", List.of(web(3, "img:1", "Parallel")));
        m.pass(true);
        assertEquals(List.of("web-0", "web-1", "web-2"), names(), "Parallel creates all at once");
        List.of("web-0", "web-1", "web-2").forEach(this::ready);
        manifests.put("StatefulSet", List.of(web(1, "img:1", "Parallel")));
        m.pass(true);
        assertEquals(List.of("web-0"), names());
        assertEquals(3, cluster.claims.size(), "claims are retained on scale-down");
    }

    @Test
    void aRollingUpdateReplacesTheHighestOrdinalFirstAndSurvivesARestart() {
        ControllerManager m = manager();
        manifests.put("StatefulSet", List.of(web(3, "img:1", "Parallel")));
        m.pass(true);
        List.of("web-0", "web-1", "web-2").forEach(this::ready);
        m.pass(true);
        String firstRevision = pod("web-0").getMetadata().getLabels().get("controller-revision-hash");
        ControllerManager restarted = manager();
        assertDoesNotThrow(restarted);
        restarted.pass(true);
        assertEquals(List.of("web-0", "web-1", "web-2"), names(), "a restart changes nothing");
        manifests.put("StatefulSet", List.of(web(3, "img:2", "Parallel")));
        restarted.pass(true);
        assertEquals(List.of("web-0", "web-1"), names(), "web-2 goes first");
        statuses.remove(m.snapshot().objects(Pod.class).stream().filter(p -> p.getMetadata().getName().equals("web-2"))
                .findFirst().orElseThrow().getMetadata().getUid());
        restarted.pass(true);
        assertEquals(List.of("web-0", "web-1", "web-2"), names());
        String updated = pod("web-2").getMetadata().getLabels().get("controller-revision-hash");
        assertTrue(!updated.equals(firstRevision));
        assertEquals("img:2", pod("web-2").getSpec().getContainers().get(0).getImage());
        assertEquals(firstRevision, pod("web-1").getMetadata().getLabels().get("controller-revision-hash"),
                "web-1 waits for web-2 to be Ready");
    }

    private static void assertDoesNotThrow(ControllerManager m) {
        try {
            m.start();
            m.close();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void validationSpeaksAsUpstream() {
        StatefulSet bad = web(-1, "img", "Sometimes");
        bad.getSpec().getTemplate().getMetadata().setLabels(Map.of("app", "other"));
        List<String> errors = new StatefulSetController().validate(bad, Optional.empty());
        assertTrue(errors.contains("spec.replicas: Invalid value: -1: must be greater than or equal to 0"), errors.toString());
        assertTrue(errors.contains("spec.podManagementPolicy: Unsupported value: \"Sometimes\": supported values: "
                + "\"OrderedReady\", \"Parallel\""), errors.toString());
        assertTrue(errors.contains("spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"other\"}: "
                + "`selector` does not match template `labels`"), errors.toString());
        StatefulSet renamedService = web(1, "img", null);
        renamedService.getSpec().setServiceName("other");
        assertEquals(List.of("spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', "
                        + "'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' "
                        + "and 'minReadySeconds' are forbidden"),
                new StatefulSetController().validate(renamedService, Optional.of(web(1, "img", null))));
        assertEquals(List.of(), new StatefulSetController().validate(web(5, "img:2", null), Optional.of(web(1, "img", null))));
    }
}
