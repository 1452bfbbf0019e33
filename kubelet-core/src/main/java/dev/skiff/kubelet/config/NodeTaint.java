package dev.skiff.kubelet.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One {@code --register-with-taints} entry, {@code key[=value]:effect}, parsed and checked as upstream's
 * {@code taints.ParseTaints} does (label-key syntax for the key, label-value syntax for the value, one of the three
 * effects).
 */
public record NodeTaint(String key, String value, String effect) {
    private static final Set<String> EFFECTS = Set.of("NoSchedule", "PreferNoSchedule", "NoExecute");

    /** Parses every entry; each bad one adds a problem naming it and what is wrong. */
    public static List<NodeTaint> parseAll(List<String> specs, List<String> problems) {
        List<NodeTaint> out = new ArrayList<>();
        for (String raw : specs) {
            String spec = raw.strip();
            if (spec.isEmpty()) {
                continue;
            }
            int colon = spec.lastIndexOf(':');
            if (colon < 0) {
                problems.add("--register-with-taints \"" + spec + "\": want key=value:effect or key:effect");
                continue;
            }
            String effect = spec.substring(colon + 1);
            String kv = spec.substring(0, colon);
            int eq = kv.indexOf('=');
            String key = eq < 0 ? kv : kv.substring(0, eq);
            String value = eq < 0 ? "" : kv.substring(eq + 1);
            if (!EFFECTS.contains(effect)) {
                problems.add("--register-with-taints \"" + spec + "\": effect must be NoSchedule, PreferNoSchedule or "
                        + "NoExecute");
            } else if (NodeLabels.keyProblem(key).isPresent()) {
                problems.add("--register-with-taints \"" + spec + "\": invalid key: " + NodeLabels.keyProblem(key).get());
            } else if (NodeLabels.valueProblem(value).isPresent()) {
                problems.add("--register-with-taints \"" + spec + "\": invalid value: "
                        + NodeLabels.valueProblem(value).get());
            } else {
                out.add(new NodeTaint(key, value, effect));
            }
        }
        return out;
    }
}
