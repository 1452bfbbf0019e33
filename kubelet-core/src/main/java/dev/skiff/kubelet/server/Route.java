package dev.skiff.kubelet.server;

import dev.skiff.kubelet.server.auth.NodeAuthorizer;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One path the kubelet serves. A pattern is exact ({@code /pods}), has {@code {name}} segments that match one
 * non-empty segment each ({@code /containerLogs/{podNamespace}/{podID}/{containerName}}), or ends in {@code /*}, a
 * prefix whose rest (possibly empty) is the parameter {@code *} ({@code /logs/*}).
 *
 * @param pattern the path pattern
 * @param kind    DEFAULT routes are served on the secure and the read-only port, DEBUGGING ones on the secure
 *                port only (upstream's InstallDefaultHandlers / InstallDebuggingHandlers)
 * @param methods the methods it answers; a GET route also answers HEAD
 * @param handler what answers
 */
public record Route(String pattern, Kind kind, Set<String> methods, Handler handler) {
    public enum Kind { DEFAULT, DEBUGGING }

    public Route {
        if (!pattern.startsWith("/")) {
            throw new IllegalArgumentException("route pattern must start with /: " + pattern);
        }
        if (pattern.contains("*") && !pattern.endsWith("/*")) {
            throw new IllegalArgumentException("* may only end a route pattern, as /prefix/*: " + pattern);
        }
        methods = Set.copyOf(methods);
    }

    /** A GET (and HEAD) route. */
    public static Route get(String pattern, Kind kind, Handler handler) {
        return new Route(pattern, kind, Set.of("GET", "HEAD"), handler);
    }

    /** A GET route answering {@code endpoint}'s object as JSON (lists always carry {@code items}). */
    public static Route json(String pattern, Kind kind, Endpoint endpoint) {
        return get(pattern, kind, (req, res) -> res.json(endpoint.answer(req.query())));
    }

    /** Whether {@code method} is answered (HEAD with GET). */
    public boolean allows(String method) {
        return methods.contains(method) || (method.equals("HEAD") && methods.contains("GET"));
    }

    /** The {@code Allow} header value for a 405. */
    public String allowHeader() {
        List<String> m = new ArrayList<>(methods);
        if (m.contains("GET") && !m.contains("HEAD")) {
            m.add("HEAD");
        }
        m.sort(null);
        return String.join(", ", m);
    }

    /** The {@code nodes} subresources that authorize this route on the secure port (upstream's path mapping). */
    public List<String> subresources() {
        return NodeAuthorizer.subresources(pattern.endsWith("/*") ? pattern.substring(0, pattern.length() - 1) : pattern);
    }

    boolean isPrefix() {
        return pattern.endsWith("/*");
    }

    boolean isExact() {
        return !isPrefix() && !pattern.contains("{");
    }

    /** The parameters when {@code rawPath} (still percent-encoded) matches, else empty. */
    Optional<Map<String, String>> match(String rawPath) {
        if (isExact()) {
            return decode(rawPath).equals(pattern) ? Optional.of(Map.of()) : Optional.empty();
        }
        if (isPrefix()) {
            String prefix = pattern.substring(0, pattern.length() - 1);
            String path = decode(rawPath);
            return path.startsWith(prefix) ? Optional.of(Map.of("*", path.substring(prefix.length()))) : Optional.empty();
        }
        String[] want = pattern.split("/", -1);
        String[] got = rawPath.split("/", -1);
        if (want.length != got.length) {
            return Optional.empty();
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 0; i < want.length; i++) {
            String segment = decode(got[i]);
            if (want[i].startsWith("{") && want[i].endsWith("}")) {
                if (segment.isEmpty()) {
                    return Optional.empty();
                }
                params.put(want[i].substring(1, want[i].length() - 1), segment);
            } else if (!want[i].equals(segment)) {
                return Optional.empty();
            }
        }
        return Optional.of(params);
    }

    static String decode(String raw) {
        // a path is not a form: '+' stays '+'
        return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
