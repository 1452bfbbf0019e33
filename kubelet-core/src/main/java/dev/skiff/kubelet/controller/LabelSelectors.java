package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;

import java.util.List;
import java.util.Map;

/** Upstream's metav1.LabelSelectorAsSelector, matched against labels. */
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
}
