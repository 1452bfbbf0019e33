package dev.skiff.kubelet.server;

import dev.skiff.kubelet.server.auth.User;

import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * One HTTP request as a handler sees it.
 *
 * @param method     GET, HEAD, POST ...
 * @param path       the decoded path, e.g. {@code /containerLogs/default/web/app}
 * @param query      the first value of each query parameter, decoded
 * @param params     the values of the route's {@code {name}} segments, decoded, e.g. {@code ns → default}
 * @param headers    a request header by name (case-insensitive), null when absent
 * @param user       who asked: the authenticated user on the secure port, empty on the read-only port
 * @param clientOpen true while the client's connection is open (a follow stream checks it while it waits)
 */
public record Request(String method, String path, Map<String, String> query, Map<String, String> params,
                      Function<String, String> headers, Optional<User> user, BooleanSupplier clientOpen) {
    public Request {
        query = Map.copyOf(query);
        params = Map.copyOf(params);
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
