package dev.skiff.volume.pv;

import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.NodeSelectorTermBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.VolumeNodeAffinity;
import io.fabric8.kubernetes.api.model.VolumeNodeAffinityBuilder;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A PV's {@code spec.nodeAffinity.required} against this node (upstream storagehelpers.CheckNodeAffinity with
 * MatchNodeSelectorTerms): the terms are ORed, a term's requirements ANDed, a term with none matches nothing; In,
 * NotIn, Exists, DoesNotExist, Gt, Lt as upstream's label selector. {@code matchFields} may only name
 * {@code metadata.name}, compared with the node's {@value #HOSTNAME} label (a Skiff node's name and hostname are one).
 */
public final class NodeAffinities {
    public static final String HOSTNAME = "kubernetes.io/hostname";
    /** Upstream's error text (the kubelet reports "MountVolume.NodeAffinity check failed ... : " + this). */
    public static final String NO_MATCH = "no matching NodeSelectorTerms";

    private NodeAffinities() {
    }

    /** Empty when {@code pv} may be used on a node with {@code nodeLabels}; else upstream's reason. */
    public static Optional<String> conflict(PersistentVolume pv, Map<String, String> nodeLabels) {
        VolumeNodeAffinity affinity = pv.getSpec() == null ? null : pv.getSpec().getNodeAffinity();
        NodeSelector required = affinity == null ? null : affinity.getRequired();
        if (required == null) {
            return Optional.empty();
        }
        List<NodeSelectorTerm> terms = required.getNodeSelectorTerms() == null ? List.of() : required.getNodeSelectorTerms();
        for (NodeSelectorTerm t : terms) {
            if (matches(t, nodeLabels)) {
                return Optional.empty();
            }
        }
        return Optional.of(NO_MATCH);
    }

    /** Upstream's local provisioner's affinity: {@code kubernetes.io/hostname In [hostname]}. */
    public static VolumeNodeAffinity onHost(String hostname) {
        return new VolumeNodeAffinityBuilder().withNewRequired().withNodeSelectorTerms(new NodeSelectorTermBuilder()
                .addNewMatchExpression().withKey(HOSTNAME).withOperator("In").withValues(hostname).endMatchExpression()
                .build()).endRequired().build();
    }

    private static boolean matches(NodeSelectorTerm term, Map<String, String> labels) {
        List<NodeSelectorRequirement> exprs = term.getMatchExpressions() == null ? List.of() : term.getMatchExpressions();
        List<NodeSelectorRequirement> fields = term.getMatchFields() == null ? List.of() : term.getMatchFields();
        if (exprs.isEmpty() && fields.isEmpty()) {
            return false;
        }
        for (NodeSelectorRequirement r : exprs) {
            if (!matches(r, labels.get(r.getKey()), labels.containsKey(r.getKey()))) {
                return false;
            }
        }
        for (NodeSelectorRequirement r : fields) {
            if (!"metadata.name".equals(r.getKey()) || !matches(r, labels.get(HOSTNAME), labels.containsKey(HOSTNAME))) {
                return false;
            }
        }
        return true;
    }

    private static boolean matches(NodeSelectorRequirement r, String value, boolean present) {
        List<String> values = r.getValues() == null ? List.of() : r.getValues();
        return switch (r.getOperator() == null ? "" : r.getOperator()) {
            case "In" -> present && values.contains(value);
            case "NotIn" -> !present || !values.contains(value);
            case "Exists" -> present;
            case "DoesNotExist" -> !present;
            case "Gt", "Lt" -> present && values.size() == 1 && compare(value, values.get(0), r.getOperator());
            default -> false; // an invalid operator matches nothing (upstream: an error, the term fails)
        };
    }

    private static boolean compare(String label, String bound, String op) {
        try {
            long l = Long.parseLong(label);
            long b = Long.parseLong(bound);
            return op.equals("Gt") ? l > b : l < b;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
