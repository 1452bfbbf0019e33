package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.ControllerRevision;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DaemonSetControllerTest {
    private final FakeCluster cluster = new FakeCluster();
    private final DaemonSetController controller = new DaemonSetController(new Random(9));

    private static DaemonSet ds(String nodeSelector, String strategy) {
        return Manifests.parse(DaemonSet.class, """
                apiVersion: apps/v1
                kind: DaemonSet
                metadata: {name: agent, namespace: kube-system}
                spec:
                  selector: {matchLabels: {app: agent}}
                  updateStrategy: %s
                  template:
                    metadata: {labels: {app: agent}}
                    spec:
                      nodeSelector: %s
                      containers: [{name: c, image: skiff-test/busybox:1}]
                """.formatted(strategy, nodeSelector));
    }

    private List<Pod> active() {
        return cluster.pods().stream().filter(p -> PodStates.isActive(p, cluster)).toList();
    }

    @Test
    void onePodWhenTheNodeSelectorMatches() {
        DaemonSet ds = cluster.step(controller, ds("{kubernetes.io/hostname: node-1}", "{type: RollingUpdate}"));
        assertEquals(1, cluster.pods().size());
        Pod p = cluster.pods().get(0);
        String hash = TemplateHash.compute(ds.getSpec().getTemplate(), null);
        assertEquals(hash, p.getMetadata().getLabels().get("controller-revision-hash"));
        assertEquals("node-1", p.getSpec().getNodeName());
        assertTrue(p.getMetadata().getName().startsWith("agent-"));
        assertTrue(p.getSpec().getTolerations().stream().anyMatch(t -> "node.kubernetes.io/not-ready".equals(t.getKey())));
        ControllerRevision rev = cluster.all(ControllerRevision.class).get(0);
        assertEquals("agent-" + hash, rev.getMetadata().getName());
        assertEquals(1L, rev.getRevision());
        cluster.readyAll();
        ds = cluster.step(controller, ds);
        assertEquals(1, ds.getStatus().getDesiredNumberScheduled());
        assertEquals(1, ds.getStatus().getNumberReady());
        assertEquals(1, ds.getStatus().getUpdatedNumberScheduled());
        assertEquals(1, cluster.pods().size(), "still one pod");
    }

    @Test
    void noPodWhenTheNodeSelectorDoesNotMatch() {
        DaemonSet ds = cluster.step(controller, ds("{disktype: ssd}", "{type: RollingUpdate}"));
        ds = cluster.step(controller, ds);
        assertEquals(0, cluster.pods().size());
        assertEquals(0, ds.getStatus().getDesiredNumberScheduled());
        cluster.nodeLabels.put("disktype", "ssd");
        cluster.step(controller, ds);
        assertEquals(1, cluster.pods().size(), "a label change on the node brings the pod");
        cluster.nodeLabels.remove("disktype");
        cluster.step(controller, ds);
        assertEquals(0, cluster.pods().size(), "and its removal takes it away");
    }

    @Test
    void rollingUpdateReplacesThePod() {
        cluster.keepTerminating = true;
        DaemonSet ds = cluster.step(controller, ds("{}", "{type: RollingUpdate}"));
        String oldName = cluster.pods().get(0).getMetadata().getName();
        ds.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("skiff-test/busybox:2");
        ds = cluster.step(controller, ds);
        assertEquals(0, active().size(), "maxSurge 0: the old pod goes first");
        cluster.finishTerminating();
        cluster.step(controller, ds);
        assertEquals(1, active().size());
        assertNotEquals(oldName, active().get(0).getMetadata().getName());
        assertEquals("skiff-test/busybox:2", active().get(0).getSpec().getContainers().get(0).getImage());
        assertEquals(2, cluster.all(ControllerRevision.class).size());
    }

    @Test
    void validationAsUpstream() {
        DaemonSet bad = ds("{}", "{type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: 0}}");
        assertEquals(List.of("spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when"
                + " `maxSurge` is 0"), controller.validate(bad, Optional.empty()));
        assertEquals(List.of(), controller.validate(ds("{}", "{type: OnDelete}"), Optional.empty()));
    }
}
