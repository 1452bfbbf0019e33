package dev.skiff.volume.pv;

import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.NodeSelectorTermBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeNodeAffinity;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class NodeAffinitiesTest {
    private static final Map<String, String> NODE = Map.of(NodeAffinities.HOSTNAME, "node-a", "zone", "z1", "gen", "5");

    private static PersistentVolume pv(VolumeNodeAffinity affinity) {
        return new PersistentVolumeBuilder().withNewMetadata().withName("pv").endMetadata().withNewSpec()
                .withNodeAffinity(affinity).endSpec().build();
    }

    private static PersistentVolume pv(NodeSelectorTerm... terms) {
        return pv(new io.fabric8.kubernetes.api.model.VolumeNodeAffinityBuilder().withNewRequired()
                .withNodeSelectorTerms(terms).endRequired().build());
    }

    private static NodeSelectorTerm expr(String key, String op, String... values) {
        return new NodeSelectorTermBuilder().addNewMatchExpression().withKey(key).withOperator(op).withValues(values)
                .endMatchExpression().build();
    }

    @Test
    void noAffinityFitsEveryNode() {
        assertEquals(Optional.empty(), NodeAffinities.conflict(pv((VolumeNodeAffinity) null), Map.of()));
    }

    @Test
    void theProvisionersHostnameAffinityFitsOnlyThatHost() {
        assertEquals(Optional.empty(), NodeAffinities.conflict(pv(NodeAffinities.onHost("node-a")), NODE));
        assertEquals(Optional.of("no matching NodeSelectorTerms"),
                NodeAffinities.conflict(pv(NodeAffinities.onHost("node-b")), NODE));
    }

    @Test
    void termsAreOredAndOperatorsAsUpstream() {
        assertEquals(Optional.empty(), NodeAffinities.conflict(pv(expr("zone", "In", "z9"), expr("zone", "In", "z1")), NODE));
        assertEquals(Optional.empty(), NodeAffinities.conflict(pv(expr("zone", "NotIn", "z9")), NODE));
        assertEquals(Optional.empty(), NodeAffinities.conflict(pv(expr("ssd", "DoesNotExist")), NODE));
        assertEquals(Optional.empty(), NodeAffinities.conflict(pv(expr("gen", "Gt", "4")), NODE));
        assertEquals(Optional.of(NodeAffinities.NO_MATCH), NodeAffinities.conflict(pv(expr("gen", "Lt", "4")), NODE));
        assertEquals(Optional.of(NodeAffinities.NO_MATCH), NodeAffinities.conflict(pv(expr("ssd", "Exists")), NODE));
        assertEquals(Optional.of(NodeAffinities.NO_MATCH), NodeAffinities.conflict(pv(new NodeSelectorTerm()), NODE),
                "an empty term matches nothing");
        NodeSelectorTerm byName = new NodeSelectorTermBuilder().addNewMatchField().withKey("metadata.name")
                .withOperator("In").withValues("node-a").endMatchField().build();
        assertEquals(Optional.empty(), NodeAffinities.conflict(pv(byName), NODE));
    }
}
