package dev.skiff.kubelet.server;

import dev.skiff.kubelet.server.auth.User;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * One HTTP request as a handler sees it.
 *
 * @param method     GET, HEAD, POST ...
 * @param path       the decoded path, e.g. {@code /containerLogs/default/web/app}
 * @param queryValues every value of each query parameter in order, decoded
 * @param params     the values of the route's {@code {name}} segments, decoded, e.g. {@code ns → default}
 * @param headers    a request header by name (case-insensitive), null when absent
 * @param user       who asked: the authenticated user on the secure port, empty on the read-only port
 * @param clientOpen true while the client's connection is open (a follow stream checks it while it waits)
 * @param headerList every request header in order, as sent (a proxy passes them on)
 */
public record Request(String method, String path, Map<String, List<String>> queryValues, Map<String, String> params,
                      Function<String, String> headers, Optional<User> user, BooleanSupplier clientOpen,
                      List<Map.Entry<String, String>> headerList) {
    public Request {
        headerList = List.copyOf(headerList);
        Map<String, List<String>> copy = new LinkedHashMap<>();
        queryValues.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        queryValues = Collections.unmodifiableMap(copy);
        params = Map.copyOf(params);
    }

    /** The first value of each query parameter, decoded (what most endpoints read, as Go's FormValue). */
    public Map<String, String> query() {
        Map<String, String> first = new LinkedHashMap<>();
        queryValues.forEach((k, v) -> first.put(k, v.get(0)));
        return first;
    }

    /** Every value of query parameter {@code name} in order, empty when absent. */
    public List<String> queryAll(String name) {
        return queryValues.getOrDefault(name, List.of());
    }

    /** A request header, empty when absent. */
    public Optional<String> header(String name) {
        return Optional.ofNullable(headers.apply(name));
    }

    /** A path parameter of the route, e.g. {@code param("container")}. */
    public String param(String name) {
        String v = params.get(name);
        if (v == null) {
            throw new IllegalArgumentException("route has no parameter {" + name + "}");
        }
        return v;
    }

    public boolean isHead() {
        return method.equals("HEAD");
    }
}
