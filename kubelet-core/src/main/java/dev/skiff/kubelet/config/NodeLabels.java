package dev.skiff.kubelet.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * {@code --node-labels}: parsing ({@code k=v,k2=v2}, as upstream's {@code cliflag.ConfigurationMap}: items trimmed,
 * empty items skipped, a key without {@code =} gets the empty value, later keys win) and the checks upstream's
 * {@code ValidateKubeletFlags} makes (label syntax, and only kubelet-settable labels in the kubernetes.io / k8s.io
 * namespaces).
 */
public final class NodeLabels {
    public static final String HOSTNAME = "kubernetes.io/hostname";
    public static final String OS = "kubernetes.io/os";
    public static final String ARCH = "kubernetes.io/arch";
    public static final String LEGACY_OS = "beta.kubernetes.io/os";
    public static final String LEGACY_ARCH = "beta.kubernetes.io/arch";

    private static final Pattern NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
    private static final Pattern DNS1123_SUBDOMAIN =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    /** Labels a kubelet may set in the kubernetes.io namespace besides the allowed prefixes (k8s.io/kubelet/pkg/apis). */
    private static final Set<String> KUBELET_LABELS = Set.of(HOSTNAME, OS, ARCH, LEGACY_OS, LEGACY_ARCH,
            "beta.kubernetes.io/instance-type", "node.kubernetes.io/instance-type",
            "failure-domain.beta.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/region",
            "topology.kubernetes.io/zone", "topology.kubernetes.io/region");
    private static final List<String> KUBELET_NAMESPACES = List.of("kubelet.kubernetes.io", "node.kubernetes.io");

    private NodeLabels() {}

    /** Parses one {@code --node-labels} value into an ordered map (syntax only; see {@link #validate}). */
    public static Map<String, String> parse(String value) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String item : value.split(",", -1)) {
            String s = item.strip();
            if (s.isEmpty()) {
                continue;
            }
            int eq = s.indexOf('=');
            if (eq < 0) {
                out.put(s, "");
            } else {
                out.put(s.substring(0, eq).strip(), s.substring(eq + 1).strip());
            }
        }
        return out;
    }

    /** Every problem with {@code labels} as node labels set by the kubelet; empty when they are fine. */
    public static List<String> validate(Map<String, String> labels) {
        List<String> problems = new ArrayList<>();
        Set<String> restricted = new TreeSet<>();
        labels.forEach((k, v) -> {
            keyProblem(k).ifPresent(p -> problems.add("--node-labels: invalid label key \"" + k + "\": " + p));
            valueProblem(v).ifPresent(p -> problems.add("--node-labels: invalid value \"" + v + "\" for label \""
                    + k + "\": " + p));
            if (isKubernetesLabel(k) && !isKubeletLabel(k)) {
                restricted.add(k);
            }
        });
        if (!restricted.isEmpty()) {
            problems.add("unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: " + restricted
                    + "; --node-labels in the 'kubernetes.io' namespace must begin with an allowed prefix ("
                    + String.join(", ", KUBELET_NAMESPACES) + ") or be in the specifically allowed set ("
                    + String.join(", ", new TreeSet<>(KUBELET_LABELS)) + ")");
        }
        return problems;
    }

    /** Why {@code key} is not a qualified name ({@code [prefix/]name}), if it is not. */
    public static Optional<String> keyProblem(String key) {
        String[] parts = key.split("/", -1);
        String name;
        if (parts.length == 1) {
            name = parts[0];
        } else if (parts.length == 2) {
            String prefix = parts[0];
            if (prefix.isEmpty()) {
                return Optional.of("prefix part must be non-empty");
            }
            if (prefix.length() > 253 || !DNS1123_SUBDOMAIN.matcher(prefix).matches()) {
                return Optional.of("prefix part must be a lowercase RFC 1123 subdomain of at most 253 "
                        + "characters");
            }
            name = parts[1];
        } else {
            return Optional.of("a qualified name must consist of an optional DNS subdomain prefix and a "
                    + "name separated by '/'");
        }
        if (name.isEmpty()) {
            return Optional.of("name part must be non-empty");
        }
        if (name.length() > 63) {
            return Optional.of("name part must be no more than 63 characters");
        }
        if (!NAME.matcher(name).matches()) {
            return Optional.of("name part must consist of alphanumeric characters, '-', '_' or '.', and "
                    + "must start and end with an alphanumeric character");
        }
        return Optional.empty();
    }

    public static Optional<String> valueProblem(String value) {
        if (value.length() > 63) {
            return Optional.of("must be no more than 63 characters");
        }
        if (!value.isEmpty() && !NAME.matcher(value).matches()) {
            return Optional.of("must be empty or consist of alphanumeric characters, '-', '_' or '.', "
                    + "and must start and end with an alphanumeric character");
        }
        return Optional.empty();
    }

    private static String namespace(String key) {
        int slash = key.indexOf('/');
        return slash < 0 ? "" : key.substring(0, slash);
    }

    private static boolean isKubernetesLabel(String key) {
        String ns = namespace(key);
        return ns.equals("kubernetes.io") || ns.endsWith(".kubernetes.io")
                || ns.equals("k8s.io") || ns.endsWith(".k8s.io");
    }

    private static boolean isKubeletLabel(String key) {
        if (KUBELET_LABELS.contains(key)) {
            return true;
        }
        String ns = namespace(key);
        return KUBELET_NAMESPACES.stream().anyMatch(a -> ns.equals(a) || ns.endsWith("." + a));
    }
}
