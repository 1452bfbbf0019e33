package dev.skiff.kubelet.admission;

import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTermBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PodAdmitterTest {
    private static final NodeInfo NODE = new NodeInfo("node-a", Map.of(
            "kubernetes.io/hostname", "node-a", "kubernetes.io/os", "linux", "kubernetes.io/arch", "amd64",
            "zone", "z1", "cores", "8"), 110);
    private final PodAdmitter admitter = new PodAdmitter();

    private static PodBuilder pod(String name) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace("default").withUid("uid-" + name).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("busybox").endContainer().endSpec();
    }

    private AdmitResult admit(Pod p) {
        return admitter.admit(p, List.of(), NODE);
    }

    @Test
    void admitsAPlainPod() {
        AdmitResult r = admit(pod("web").build());
        assertTrue(r.admitted());
        assertEquals("", r.reason());
    }

    @Test
    void nodeNameOfThisNodeIsAdmitted() {
        assertTrue(admit(pod("web").editSpec().withNodeName("node-a").endSpec().build()).admitted());
    }

    @Test
    void nodeNameOfAnotherNodeIsRejectedWithUpstreamReasonAndMessage() {
        AdmitResult r = admit(pod("web").editSpec().withNodeName("node-b").endSpec().build());
        assertFalse(r.admitted());
        assertEquals("NodeName", r.reason());
        assertEquals("Predicate NodeName failed: node(s) didn't match the requested node name", r.message());
        PodStatus st = r.rejectedStatus("BestEffort");
        assertEquals("Failed", st.getPhase());
        assertEquals("NodeName", st.getReason());
        assertEquals("Pod was rejected: Predicate NodeName failed: node(s) didn't match the requested node name",
                st.getMessage());
        assertEquals("BestEffort", st.getQosClass());
    }

    @Test
    void nodeSelectorMatchingNodeLabelsIsAdmitted() {
        Pod p = pod("web").editSpec().withNodeSelector(Map.of("kubernetes.io/hostname", "node-a", "zone", "z1")).endSpec().build();
        assertTrue(admit(p).admitted());
    }

    @Test
    void nodeSelectorMismatchIsRejectedAsNodeAffinity() {
        Pod p = pod("web").editSpec().withNodeSelector(Map.of("disktype", "ssd")).endSpec().build();
        AdmitResult r = admit(p);
        assertFalse(r.admitted());
        assertEquals("NodeAffinity", r.reason());
        assertEquals("Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector", r.message());
        assertEquals("Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector",
                r.rejectedStatus("BestEffort").getMessage());
    }

    @Test
    void nodeSelectorWrongValueIsRejected() {
        assertEquals("NodeAffinity", admit(pod("web").editSpec().withNodeSelector(Map.of("zone", "z2")).endSpec().build()).reason());
    }

    private static Pod withAffinity(NodeSelectorRequirement... reqs) {
        return pod("web").editSpec().withNewAffinity().withNewNodeAffinity().withNewRequiredDuringSchedulingIgnoredDuringExecution()
                .addToNodeSelectorTerms(new NodeSelectorTermBuilder().withMatchExpressions(reqs).build())
                .endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity().endAffinity().endSpec().build();
    }

    private static NodeSelectorRequirement req(String key, String op, String... values) {
        return new NodeSelectorRequirement(key, op, List.of(values));
    }

    @Test
    void requiredNodeAffinityOperators() {
        assertTrue(admit(withAffinity(req("zone", "In", "z0", "z1"))).admitted());
        assertFalse(admit(withAffinity(req("zone", "In", "z2"))).admitted());
        assertTrue(admit(withAffinity(req("zone", "NotIn", "z2"))).admitted());
        assertFalse(admit(withAffinity(req("zone", "NotIn", "z1"))).admitted());
        assertTrue(admit(withAffinity(req("absent", "NotIn", "x"))).admitted());
        assertTrue(admit(withAffinity(req("zone", "Exists"))).admitted());
        assertFalse(admit(withAffinity(req("absent", "Exists"))).admitted());
        assertTrue(admit(withAffinity(req("absent", "DoesNotExist"))).admitted());
        assertFalse(admit(withAffinity(req("zone", "DoesNotExist"))).admitted());
        assertTrue(admit(withAffinity(req("cores", "Gt", "4"))).admitted());
        assertFalse(admit(withAffinity(req("cores", "Gt", "8"))).admitted());
        assertTrue(admit(withAffinity(req("cores", "Lt", "9"))).admitted());
        assertFalse(admit(withAffinity(req("cores", "Lt", "8"))).admitted());
        assertFalse(admit(withAffinity(req("zone", "Gt", "1"))).admitted(), "non-numeric label never matches Gt");
        // expressions of one term are ANDed
        assertFalse(admit(withAffinity(req("zone", "In", "z1"), req("absent", "Exists"))).admitted());
        assertEquals("NodeAffinity", admit(withAffinity(req("zone", "In", "z2"))).reason());
    }

    @Test
    void nodeAffinityTermsAreOred() {
        Pod p = pod("web").editSpec().withNewAffinity().withNewNodeAffinity().withNewRequiredDuringSchedulingIgnoredDuringExecution()
                .addToNodeSelectorTerms(new NodeSelectorTermBuilder().withMatchExpressions(req("zone", "In", "z9")).build())
                .addToNodeSelectorTerms(new NodeSelectorTermBuilder().withMatchExpressions(req("zone", "In", "z1")).build())
                .endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity().endAffinity().endSpec().build();
        assertTrue(admit(p).admitted());
    }

    @Test
    void matchFieldsOnMetadataName() {
        Pod ok = pod("web").editSpec().withNewAffinity().withNewNodeAffinity().withNewRequiredDuringSchedulingIgnoredDuringExecution()
                .addToNodeSelectorTerms(new NodeSelectorTermBuilder().withMatchFields(req("metadata.name", "In", "node-a")).build())
                .endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity().endAffinity().endSpec().build();
        assertTrue(admit(ok).admitted());
        Pod bad = pod("web").editSpec().withNewAffinity().withNewNodeAffinity().withNewRequiredDuringSchedulingIgnoredDuringExecution()
                .addToNodeSelectorTerms(new NodeSelectorTermBuilder().withMatchFields(req("metadata.name", "In", "node-b")).build())
                .endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity().endAffinity().endSpec().build();
        assertEquals("NodeAffinity", admit(bad).reason());
    }

    @Test
    void maxPodsRejectsWithOutOfpods() {
        NodeInfo small = new NodeInfo("node-a", NODE.labels(), 2);
        List<Pod> two = List.of(pod("a").build(), pod("b").build());
        AdmitResult r = admitter.admit(pod("web").build(), two, small);
        assertFalse(r.admitted());
        assertEquals("OutOfpods", r.reason());
        assertEquals("Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2", r.message());
        assertEquals("Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2",
                r.rejectedStatus("BestEffort").getMessage());
        assertTrue(admitter.admit(pod("web").build(), List.of(pod("a").build()), small).admitted());
        assertTrue(admitter.admit(pod("web").build(), List.of(pod("a").build(), pod("web").build()), small).admitted(),
                "the pod itself does not count");
    }

    @Test
    void onlyTheFirstFailureIsReportedInUpstreamOrder() {
        NodeInfo full = new NodeInfo("node-a", NODE.labels(), 0);
        Pod both = pod("web").editSpec().withNodeName("node-b").withNodeSelector(Map.of("disktype", "ssd")).endSpec().build();
        assertEquals("OutOfpods", admitter.admit(both, Collections.emptyList(), full).reason());
        assertEquals("NodeAffinity", admit(both).reason());
    }

    @Test
    void osLabelAndOsFieldMustBeLinux() {
        Pod label = pod("web").editMetadata().addToLabels("kubernetes.io/os", "windows").endMetadata().build();
        AdmitResult r = admit(label);
        assertEquals("PodOSSelectorNodeLabelDoesNotMatch", r.reason());
        assertEquals("Failed to admit pod as the `kubernetes.io/os` label doesn't match node label", r.message());
        Pod field = pod("web").editSpec().withNewOs("windows").endSpec().build();
        assertEquals("PodOSNotSupported", admit(field).reason());
        assertTrue(admit(pod("web").editSpec().withNewOs("linux").endSpec().build()).admitted());
    }
}
