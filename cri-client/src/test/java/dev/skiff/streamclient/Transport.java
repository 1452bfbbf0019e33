package dev.skiff.streamclient;

import java.util.List;

/** How a remote-command session travels: the two transports Kubernetes' clients use. */
public enum Transport {
    /** {@code Upgrade: SPDY/3.1}, protocol chosen by {@code X-Stream-Protocol-Version}: crictl's and kubectl's (before 1.30) default. */
    SPDY(List.of("v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"), "POST"),
    /** {@code Upgrade: websocket}, protocol chosen by {@code Sec-WebSocket-Protocol}: kubectl 1.30+. */
    WEBSOCKET(List.of("v5.channel.k8s.io", "v4.channel.k8s.io"), "GET");

    private final List<String> defaultProtocols;
    private final String method;

    Transport(List<String> defaultProtocols, String method) {
        this.defaultProtocols = defaultProtocols;
        this.method = method;
    }

    /** The protocols offered when the options name none, most preferred first. */
    public List<String> defaultProtocols() {
        return defaultProtocols;
    }

    /** The HTTP method kubectl uses (a WebSocket handshake must be GET). */
    public String method() {
        return method;
    }
}
