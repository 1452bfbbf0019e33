package dev.skiff.kubelet.admission;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;

/**
 * Decides whether a pod may run on this node, with upstream's checks, order, reasons and messages
 * (pkg/kubelet/lifecycle/predicate.go and scheduler.AdmissionCheck): the OS label and OS field first,
 * then the pod count (maxPods), node affinity and nodeSelector, and the node name. Only the first
 * failure is reported, as upstream does. Stateless and thread-safe.
 */
public final class PodAdmitter {
    private static final Logger log = LoggerFactory.getLogger(PodAdmitter.class);

    public static final String OS_LABEL = "kubernetes.io/os";
    /** The OS this kubelet runs pods for (runtime.GOOS upstream); Skiff runs Linux containers only. */
    public static final String NODE_OS = "linux";

    public static final String REASON_OS_SELECTOR = "PodOSSelectorNodeLabelDoesNotMatch";
    public static final String REASON_OS_NOT_SUPPORTED = "PodOSNotSupported";
    public static final String REASON_OUT_OF_PODS = "OutOfpods";
    public static final String REASON_NODE_AFFINITY = "NodeAffinity";
    public static final String REASON_NODE_NAME = "NodeName";

    static final String NODE_AFFINITY_DESC = "node(s) didn't match Pod's node affinity/selector";
    static final String NODE_NAME_DESC = "node(s) didn't match the requested node name";

    /**
     * @param pod                       the pod asking to run
     * @param alreadyAdmittedActivePods pods admitted before and not yet terminal (the pod itself excluded)
     * @param node                      this node
     */
    public AdmitResult admit(Pod pod, List<Pod> alreadyAdmittedActivePods, NodeInfo node) {
        AdmitResult r = check(pod, alreadyAdmittedActivePods, node);
        if (!r.admitted()) {
            log.info("Pod {}/{} uid {} rejected: {}: {}", pod.getMetadata().getNamespace(), pod.getMetadata().getName(),
                    pod.getMetadata().getUid(), r.reason(), r.message());
        }
        return r;
    }

    private AdmitResult check(Pod pod, List<Pod> others, NodeInfo node) {
        PodSpec spec = pod.getSpec();
        // Upstream checks the pod's kubernetes.io/os *label* (not its nodeSelector) against the node's OS,
        // which is always the kubelet's own OS whatever the node label says.
        Map<String, String> podLabels = pod.getMetadata().getLabels();
        if (podLabels != null && podLabels.containsKey(OS_LABEL) && !NODE_OS.equals(podLabels.get(OS_LABEL))) {
            return AdmitResult.reject(REASON_OS_SELECTOR,
                    "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label");
        }
        if (spec.getOs() != null && spec.getOs().getName() != null && !NODE_OS.equals(spec.getOs().getName())) {
            return AdmitResult.reject(REASON_OS_NOT_SUPPORTED, "Failed to admit pod as the OS field doesn't match node OS");
        }
        // The pod itself never counts against maxPods (a re-admission after an update must not reject it).
        String uid = pod.getMetadata().getUid();
        long used = others.stream().filter(o -> uid == null || !uid.equals(o.getMetadata().getUid())).count();
        if (used + 1 > node.maxPods()) {
            return AdmitResult.reject(REASON_OUT_OF_PODS, String.format(
                    "Node didn't have enough resource: pods, requested: 1, used: %d, capacity: %d", used, node.maxPods()));
        }
        if (!matchesNodeSelectorAndAffinity(spec, node)) {
            return predicateFailure(REASON_NODE_AFFINITY, NODE_AFFINITY_DESC);
        }
        String nodeName = spec.getNodeName();
        if (nodeName != null && !nodeName.isEmpty() && !nodeName.equals(node.name())) {
            return predicateFailure(REASON_NODE_NAME, NODE_NAME_DESC);
        }
        return AdmitResult.admit();
    }

    /** Upstream PredicateFailureError: reason is the predicate name, message "Predicate <name> failed: <desc>". */
    private static AdmitResult predicateFailure(String name, String desc) {
        return AdmitResult.reject(name, "Predicate " + name + " failed: " + desc);
    }

    /** nodeSelector (every pair present on the node) AND the required node affinity (any term matches). */
    static boolean matchesNodeSelectorAndAffinity(PodSpec spec, NodeInfo node) {
        Map<String, String> selector = spec.getNodeSelector();
        if (selector != null) {
            for (Map.Entry<String, String> e : selector.entrySet()) {
                if (!e.getValue().equals(node.labels().get(e.getKey()))) {
                    return false;
                }
            }
        }
        Affinity affinity = spec.getAffinity();
        if (affinity == null || affinity.getNodeAffinity() == null) {
            return true;
        }
        NodeSelector required = affinity.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution();
        if (required == null) {
            return true;
        }
        // Terms are ORed; a term with no requirements matches nothing (upstream nodeaffinity semantics).
        List<NodeSelectorTerm> terms = required.getNodeSelectorTerms();
        if (terms == null) {
            return false;
        }
        for (NodeSelectorTerm term : terms) {
            if (termMatches(term, node)) {
                return true;
            }
        }
        return false;
    }

    private static boolean termMatches(NodeSelectorTerm term, NodeInfo node) {
        List<NodeSelectorRequirement> exprs = term.getMatchExpressions() == null ? List.of() : term.getMatchExpressions();
        List<NodeSelectorRequirement> fields = term.getMatchFields() == null ? List.of() : term.getMatchFields();
        if (exprs.isEmpty() && fields.isEmpty()) {
            return false;
        }
        for (NodeSelectorRequirement r : exprs) {
            if (!requirementMatches(r, node.labels())) {
                return false;
            }
        }
        for (NodeSelectorRequirement r : fields) {
            // The only node field selector upstream supports is metadata.name, with In / NotIn.
            if (!"metadata.name".equals(r.getKey())) {
                return false;
            }
            List<String> values = r.getValues() == null ? List.of() : r.getValues();
            boolean in = values.contains(node.name());
            switch (nz(r.getOperator())) {
                case "In" -> {
                    if (!in) {
                        return false;
                    }
                }
                case "NotIn" -> {
                    if (in) {
                        return false;
                    }
                }
                default -> {
                    return false;
                }
            }
        }
        return true;
    }

    static boolean requirementMatches(NodeSelectorRequirement r, Map<String, String> labels) {
        List<String> values = r.getValues() == null ? List.of() : r.getValues();
        String key = nz(r.getKey());
        boolean has = labels.containsKey(key);
        String value = labels.get(key);
        return switch (nz(r.getOperator())) {
            case "In" -> has && values.contains(value);
            case "NotIn" -> !has || !values.contains(value);
            case "Exists" -> has;
            case "DoesNotExist" -> !has;
            case "Gt", "Lt" -> {
                if (!has || values.size() != 1) {
                    yield false;
                }
                try {
                    long labelValue = Long.parseLong(value);
                    long bound = Long.parseLong(values.get(0));
                    yield "Gt".equals(r.getOperator()) ? labelValue > bound : labelValue < bound;
                } catch (NumberFormatException e) {
                    yield false;
                }
            }
            default -> false;
        };
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
