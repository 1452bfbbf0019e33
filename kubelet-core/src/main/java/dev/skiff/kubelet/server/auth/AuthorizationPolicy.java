package dev.skiff.kubelet.server.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Who may use which {@code nodes/<subresource>} of this kubelet. Skiff has no API server to send a
 * SubjectAccessReview to, so {@code --authorization-mode=Policy} (Skiff's default) decides by a static policy: the
 * groups {@code system:masters} and {@code system:kubelet-api-admin} may use every subresource, and
 * {@code --authorization-policy-file} grants more, by group or user name:
 * <pre>
 * groups:
 *   monitoring: [metrics, stats]
 *   log-readers: [log]
 * users:
 *   alice: ["*"]
 * </pre>
 * A grant covers every verb. {@code --authorization-mode=AlwaysAllow} allows every authenticated request.
 */
public final class AuthorizationPolicy {
    public static final List<String> ADMIN_GROUPS = List.of("system:masters", "system:kubelet-api-admin");
    public static final Set<String> SUBRESOURCES = Set.of("proxy", "stats", "metrics", "log", "pods", "healthz",
            "configz", "statusz", "checkpoint", "*");
    private final boolean alwaysAllow;
    private final Map<String, Set<String>> groups;
    private final Map<String, Set<String>> users;

    private AuthorizationPolicy(boolean alwaysAllow, Map<String, Set<String>> groups, Map<String, Set<String>> users) {
        this.alwaysAllow = alwaysAllow;
        this.groups = Map.copyOf(groups);
        this.users = Map.copyOf(users);
    }

    public static AuthorizationPolicy alwaysAllow() {
        return new AuthorizationPolicy(true, Map.of(), Map.of());
    }

    /** The built-in admin groups plus {@code file}'s grants (when given). */
    public static AuthorizationPolicy load(Optional<Path> file) throws PolicyException {
        Map<String, Set<String>> groups = new HashMap<>();
        Map<String, Set<String>> users = new HashMap<>();
        ADMIN_GROUPS.forEach(g -> groups.put(g, Set.of("*")));
        if (file.isPresent()) {
            JsonNode root;
            try {
                root = new YAMLMapper().readTree(Files.readAllBytes(file.get()));
            } catch (IOException e) {
                throw new PolicyException("authorization policy file " + file.get() + ": cannot read it: "
                        + e.getMessage().lines().findFirst().orElse(""));
            }
            if (root != null && !root.isMissingNode() && !root.isNull()) {
                if (!root.isObject()) {
                    throw new PolicyException("authorization policy file " + file.get() + ": want a map with groups: and users:");
                }
                for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
                    String key = it.next();
                    switch (key) {
                        case "groups" -> grants(file.get(), key, root.get(key), groups);
                        case "users" -> grants(file.get(), key, root.get(key), users);
                        default -> throw new PolicyException("authorization policy file " + file.get()
                                + ": unknown field \"" + key + "\" (want groups: and users:)");
                    }
                }
            }
        }
        return new AuthorizationPolicy(false, groups, users);
    }

    private static void grants(Path file, String key, JsonNode node, Map<String, Set<String>> into) throws PolicyException {
        if (node == null || node.isNull()) {
            return;
        }
        if (!node.isObject()) {
            throw new PolicyException("authorization policy file " + file + ": " + key + " must map a name to a list of subresources");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isArray()) {
                throw new PolicyException("authorization policy file " + file + ": " + key + "." + e.getKey()
                        + " must be a list of subresources, e.g. [metrics, stats]");
            }
            Set<String> subs = new HashSet<>(into.getOrDefault(e.getKey(), Set.of()));
            for (JsonNode s : e.getValue()) {
                if (!s.isTextual() || !SUBRESOURCES.contains(s.textValue())) {
                    throw new PolicyException("authorization policy file " + file + ": " + key + "." + e.getKey()
                            + ": " + s + " is not a nodes subresource (want one of " + SUBRESOURCES.stream().sorted().toList() + ")");
                }
                subs.add(s.textValue());
            }
            into.put(e.getKey(), Set.copyOf(subs));
        }
    }

    public boolean allows(User user, String verb, String subresource) {
        if (alwaysAllow) {
            return true;
        }
        if (grants(users.get(user.name()), subresource)) {
            return true;
        }
        for (String g : user.groups()) {
            if (grants(groups.get(g), subresource)) {
                return true;
            }
        }
        return false;
    }

    private static boolean grants(Set<String> subs, String subresource) {
        return subs != null && (subs.contains("*") || subs.contains(subresource));
    }

    /** The policy file cannot be used; the message names the file and what is wrong. */
    public static final class PolicyException extends Exception {
        public PolicyException(String message) {
            super(message);
        }
    }
}
