package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Upstream's metav1.LabelSelectorAsSelector matched against labels, the node-affinity matcher (node selector terms,
 * also Gt, Lt and matchFields on {@code metadata.name}), and Go's printing of labels and selectors for field errors.
 */
public final class LabelSelectors {
    private LabelSelectors() {}

    /** True when the selector selects nothing-in-particular: no matchLabels and no matchExpressions. */
    public static boolean isEmpty(LabelSelector s) {
        return s == null || ((s.getMatchLabels() == null || s.getMatchLabels().isEmpty())
                && (s.getMatchExpressions() == null || s.getMatchExpressions().isEmpty()));
    }

    /** Whether {@code labels} satisfy every matchLabels entry and matchExpressions requirement of {@code s}. */
    public static boolean matches(LabelSelector s, Map<String, String> labels) {
        Map<String, String> l = labels == null ? Map.of() : labels;
        if (s == null) {
            return false;
        }
        if (s.getMatchLabels() != null) {
            for (Map.Entry<String, String> e : s.getMatchLabels().entrySet()) {
                if (!e.getValue().equals(l.get(e.getKey()))) {
                    return false;
                }
            }
        }
        if (s.getMatchExpressions() != null) {
            for (LabelSelectorRequirement r : s.getMatchExpressions()) {
                List<String> values = r.getValues() == null ? List.of() : r.getValues();
                String v = l.get(r.getKey());
                boolean ok = switch (String.valueOf(r.getOperator())) {
                    case "In" -> v != null && values.contains(v);
                    case "NotIn" -> v == null || !values.contains(v);
                    case "Exists" -> l.containsKey(r.getKey());
                    case "DoesNotExist" -> !l.containsKey(r.getKey());
                    default -> false;
                };
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Upstream's ValidateLabelSelector operator checks: the field errors, empty when valid. */
    public static List<String> validate(LabelSelector s, String path) {
        if (s == null || s.getMatchExpressions() == null) {
            return List.of();
        }
        java.util.ArrayList<String> errors = new java.util.ArrayList<>();
        for (int i = 0; i < s.getMatchExpressions().size(); i++) {
            LabelSelectorRequirement r = s.getMatchExpressions().get(i);
            String at = path + ".matchExpressions[" + i + "]";
            String op = String.valueOf(r.getOperator());
            boolean hasValues = r.getValues() != null && !r.getValues().isEmpty();
            switch (op) {
                case "In", "NotIn" -> {
                    if (!hasValues) {
                        errors.add(at + ".values: Required value: must be specified when `operator` is 'In' or 'NotIn'");
                    }
                }
                case "Exists", "DoesNotExist" -> {
                    if (hasValues) {
                        errors.add(at + ".values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
                    }
                }
                default -> errors.add(at + ".operator: Invalid value: " + GoValues.quote(op) + ": not a valid selector operator");
            }
        }
        return errors;
    }

    /** One required node-affinity term: all its expressions and fields hold; an empty term matches nothing. */
    public static boolean matches(NodeSelectorTerm term, String nodeName, Map<String, String> nodeLabels) {
        List<NodeSelectorRequirement> exprs = nullSafe(term.getMatchExpressions());
        List<NodeSelectorRequirement> fields = nullSafe(term.getMatchFields());
        if (exprs.isEmpty() && fields.isEmpty()) {
            return false;
        }
        for (NodeSelectorRequirement r : exprs) {
            if (!matches(r.getKey(), r.getOperator(), nullSafe(r.getValues()), nodeLabels)) {
                return false;
            }
        }
        for (NodeSelectorRequirement r : fields) {
            if (!"metadata.name".equals(r.getKey())
                    || !matches(r.getKey(), r.getOperator(), nullSafe(r.getValues()), Map.of(r.getKey(), nodeName))) {
                return false;
            }
        }
        return true;
    }

    private static boolean matches(String key, String op, List<String> values, Map<String, String> labels) {
        String v = labels.get(key);
        return switch (op == null ? "" : op) {
            case "In" -> v != null && values.contains(v);
            case "NotIn" -> v == null || !values.contains(v);
            case "Exists" -> v != null;
            case "DoesNotExist" -> v == null;
            case "Gt", "Lt" -> v != null && values.size() == 1 && compare(v, values.get(0), op);
            default -> false;
        };
    }

    private static boolean compare(String label, String bound, String op) {
        try {
            long l = Long.parseLong(label);
            long b = Long.parseLong(bound);
            return "Gt".equals(op) ? l > b : l < b;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Go's %#v of a map[string]string, as upstream's field errors print labels. */
    public static String goMap(Map<String, String> m) {
        StringBuilder sb = new StringBuilder("map[string]string{");
        boolean first = true;
        for (Map.Entry<String, String> e : new TreeMap<>(m == null ? Map.of() : m).entrySet()) {
            sb.append(first ? "" : ", ").append(goQuote(e.getKey())).append(':').append(goQuote(e.getValue()));
            first = false;
        }
        return sb.append('}').toString();
    }

    /** Go's %#v of a *metav1.LabelSelector, as upstream prints a selector value. */
    public static String goSelector(LabelSelector s) {
        if (s == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder("v1.LabelSelector{MatchLabels:");
        sb.append(s.getMatchLabels() == null || s.getMatchLabels().isEmpty() ? "map[string]string(nil)"
                : goMap(s.getMatchLabels()));
        sb.append(", MatchExpressions:");
        List<LabelSelectorRequirement> exprs = nullSafe(s.getMatchExpressions());
        if (exprs.isEmpty()) {
            sb.append("[]v1.LabelSelectorRequirement(nil)");
        } else {
            sb.append("[]v1.LabelSelectorRequirement{");
            for (int i = 0; i < exprs.size(); i++) {
                LabelSelectorRequirement r = exprs.get(i);
                sb.append(i == 0 ? "" : ", ").append("v1.LabelSelectorRequirement{Key:").append(goQuote(r.getKey()))
                        .append(", Operator:").append(goQuote(r.getOperator())).append(", Values:[]string{");
                List<String> vs = nullSafe(r.getValues());
                for (int j = 0; j < vs.size(); j++) {
                    sb.append(j == 0 ? "" : ", ").append(goQuote(vs.get(j)));
                }
                sb.append("}}");
            }
            sb.append('}');
        }
        return sb.append('}').toString();
    }

    private static String goQuote(String s) {
        return '"' + (s == null ? "" : s.replace("\\", "\\\\").replace("\"", "\\\"")) + '"';
    }

    private static <T> List<T> nullSafe(List<T> l) {
        return l == null ? List.of() : l;
    }
}
