package dev.skiff.kubelet.server.auth;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Upstream's kubelet authorization (pkg/kubelet/server/auth.go with KubeletFineGrainedAuthz, on by default since
 * 1.33): a request path maps to the {@code nodes} subresources that may allow it, tried in order: {@code /stats/*} →
 * stats, {@code /metrics*} → metrics, {@code /logs/*} → log, {@code /pods} and {@code /runningpods/} → pods then proxy,
 * {@code /healthz*} → healthz then proxy, {@code /configz} → configz then proxy, anything else (containerLogs, exec,
 * spec ...) → proxy; the verb is the HTTP method's API verb. With no API server to ask (no SubjectAccessReview),
 * the decision is the static {@link AuthorizationPolicy}.
 */
public final class NodeAuthorizer {
    private final AuthorizationPolicy policy;

    public NodeAuthorizer(AuthorizationPolicy policy) {
        this.policy = policy;
    }

    /** The subresources that may authorize {@code path}, in upstream's order. */
    public static List<String> subresources(String path) {
        List<String> out = new ArrayList<>();
        if (isSubpath(path, "/pods")) {
            out.add("pods");
        } else if (isSubpath(path, "/healthz")) {
            out.add("healthz");
        } else if (isSubpath(path, "/configz")) {
            out.add("configz");
        } else if (isSubpath(path, "/statusz")) {
            out.add("statusz");
        } else if (isSubpath(path, "/runningpods/")) {
            out.add("pods");
        }
        if (isSubpath(path, "/stats/")) {
            out.add("stats");
        } else if (isSubpath(path, "/metrics")) {
            out.add("metrics");
        } else if (isSubpath(path, "/logs/")) {
            out.add("log"); // "log" as pods/log
        } else if (isSubpath(path, "/checkpoint/")) {
            out.add("checkpoint");
        } else {
            out.add("proxy");
        }
        return out;
    }

    /** Upstream isSubpath: the path itself or below it ({@code /metrics} and {@code /metrics/cadvisor}, not {@code /metricsx}). */
    static boolean isSubpath(String subpath, String path) {
        String p = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        return subpath.equals(p) || (subpath.startsWith(p) && subpath.length() > p.length() && subpath.charAt(p.length()) == '/');
    }

    /** The API verb of an HTTP method, as upstream ("" for HEAD and others it does not map). */
    public static String verb(String method) {
        return switch (method) {
            case "POST" -> "create";
            case "GET" -> "get";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> "delete";
            default -> "";
        };
    }

    /** Empty when allowed, else upstream's 403 body. */
    public Optional<String> forbidden(User user, String method, String path) {
        List<String> subresources = subresources(path);
        String verb = verb(method);
        for (String s : subresources) {
            if (policy.allows(user, verb, s)) {
                return Optional.empty();
            }
        }
        return Optional.of("Forbidden (user=" + user.name() + ", verb=" + verb + ", resource=nodes, subresource(s)=["
                + String.join(" ", subresources) + "])\n");
    }
}
