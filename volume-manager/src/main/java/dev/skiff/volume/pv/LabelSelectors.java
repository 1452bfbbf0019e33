package dev.skiff.volume.pv;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * metav1.LabelSelectorAsSelector and Selector.Matches: matchLabels and matchExpressions are ANDed; In and NotIn need
 * values, Exists and DoesNotExist must have none; NotIn also matches when the label is absent.
 */
public final class LabelSelectors {
    private LabelSelectors() {
    }

    /**
     * Compiles {@code selector} (null matches everything).
     *
     * @throws IllegalArgumentException when an operator is unknown or its values do not fit it
     */
    public static Predicate<Map<String, String>> compile(LabelSelector selector) {
        if (selector == null) {
            return labels -> true;
        }
        List<Predicate<Map<String, String>>> parts = new ArrayList<>();
        if (selector.getMatchLabels() != null) {
            selector.getMatchLabels().forEach((k, v) -> parts.add(labels -> v.equals(labels.get(k))));
        }
        if (selector.getMatchExpressions() != null) {
            for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
                parts.add(requirement(r));
            }
        }
        return labels -> {
            Map<String, String> l = labels == null ? Map.of() : labels;
            return parts.stream().allMatch(p -> p.test(l));
        };
    }

    private static Predicate<Map<String, String>> requirement(LabelSelectorRequirement r) {
        String key = r.getKey();
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("label selector requirement has no key");
        }
        String op = r.getOperator() == null ? "" : r.getOperator();
        Set<String> values = r.getValues() == null ? Set.of() : Set.copyOf(r.getValues());
        switch (op) {
            case "In", "NotIn" -> {
                if (values.isEmpty()) {
                    throw new IllegalArgumentException(
                            "for '" + op + "' operator of key \"" + key + "\", values set can't be empty");
                }
            }
            case "Exists", "DoesNotExist" -> {
                if (!values.isEmpty()) {
                    throw new IllegalArgumentException(
                            "values set must be empty for '" + op + "' operator of key \"" + key + "\"");
                }
            }
            default -> throw new IllegalArgumentException("\"" + op + "\" is not a valid label selector operator");
        }
        return switch (op) {
            case "In" -> labels -> labels.containsKey(key) && values.contains(labels.get(key));
            case "NotIn" -> labels -> !labels.containsKey(key) || !values.contains(labels.get(key));
            case "Exists" -> labels -> labels.containsKey(key);
            default -> labels -> !labels.containsKey(key);
        };
    }
}
