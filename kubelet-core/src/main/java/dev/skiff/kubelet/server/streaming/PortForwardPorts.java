package dev.skiff.kubelet.server.streaming;

import dev.skiff.kubelet.server.Endpoint;

import java.util.ArrayList;
import java.util.List;

/**
 * The ports of a port-forward request, as upstream's portforward.NewV4Options reads them: a WebSocket client names
 * them up front ({@code ?port=80&port=8080} or {@code ?port=80,8080}); a SPDY client names each in its streams'
 * headers, so it needs none here.
 */
public final class PortForwardPorts {
    public static final String PORT = "port";

    private PortForwardPorts() {
    }

    public static List<Integer> of(boolean webSocket, List<String> values) throws Endpoint.BadRequestException {
        if (!webSocket) {
            return List.of();
        }
        if (values.isEmpty()) {
            throw new Endpoint.BadRequestException("query parameter \"" + PORT + "\" is required");
        }
        List<Integer> ports = new ArrayList<>();
        for (String value : values) {
            if (value.isEmpty()) {
                throw new Endpoint.BadRequestException("query parameter \"" + PORT + "\" cannot be empty");
            }
            for (String p : value.split(",", -1)) {
                if (!p.matches("[0-9]+")) {
                    throw new Endpoint.BadRequestException("unable to parse \"" + value + "\" as a port: invalid syntax");
                }
                long port = p.length() > 6 ? Long.MAX_VALUE : Long.parseLong(p);
                if (port > 65535) {
                    throw new Endpoint.BadRequestException("unable to parse \"" + value + "\" as a port: value out of range");
                }
                if (port < 1) {
                    throw new Endpoint.BadRequestException("port \"" + value + "\" must be > 0");
                }
                ports.add((int) port);
            }
        }
        return List.copyOf(ports);
    }
}
