package dev.skiff.kubelet.server;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Finds the route of a path: exact routes first, then {@code {name}} patterns, then prefixes, longest first. */
final class Router {
    private final List<Route> routes;

    Router(List<Route> routes) {
        List<Route> sorted = new ArrayList<>(routes);
        sorted.sort(Comparator.comparingInt((Route r) -> r.isExact() ? 0 : r.isPrefix() ? 2 : 1)
                .thenComparing(r -> -r.pattern().length()));
        for (int i = 0; i < sorted.size(); i++) {
            for (int j = i + 1; j < sorted.size(); j++) {
                if (sorted.get(i).pattern().equals(sorted.get(j).pattern())) {
                    throw new IllegalArgumentException("two routes for " + sorted.get(i).pattern());
                }
            }
        }
        this.routes = List.copyOf(sorted);
    }

    record Match(Route route, Map<String, String> params) {}

    Optional<Match> find(String rawPath) {
        for (Route r : routes) {
            Optional<Map<String, String>> params = r.match(rawPath);
            if (params.isPresent()) {
                return Optional.of(new Match(r, params.get()));
            }
        }
        return Optional.empty();
    }

    /**
     * Go's path.Clean of a request path, keeping a trailing slash, as net/http's ServeMux redirects to it: no
     * {@code .} or {@code ..} segments, no doubled slashes.
     */
    static String clean(String path) {
        if (path.isEmpty()) {
            return "/";
        }
        List<String> out = new ArrayList<>();
        for (String seg : path.split("/")) {
            if (seg.isEmpty() || seg.equals(".")) {
                continue;
            }
            if (seg.equals("..")) {
                if (!out.isEmpty()) {
                    out.remove(out.size() - 1);
                }
            } else {
                out.add(seg);
            }
        }
        String cleaned = "/" + String.join("/", out);
        if (path.endsWith("/") && !cleaned.equals("/")) {
            cleaned += "/";
        }
        return cleaned;
    }
}
