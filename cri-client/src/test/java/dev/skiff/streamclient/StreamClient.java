package dev.skiff.streamclient;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;

/**
 * Entry points: give the URL a CRI {@code Exec}/{@code Attach}/{@code PortForward} returned (or a
 * kubelet streaming URL) and the options matching that request.
 */
public final class StreamClient {
    private StreamClient() {}

    /** Opens an exec session over {@code options.transport()}; the returned session is ready. */
    public static ExecSession exec(URI url, StreamOptions options) throws IOException {
        return open(url, options);
    }

    /** Opens an attach session: on the wire the same protocol as exec. */
    public static ExecSession attach(URI url, StreamOptions options) throws IOException {
        return open(url, options);
    }

    /** Opens a {@code portforward.k8s.io} session over SPDY. */
    public static PortForwardSession portForward(URI url, Duration timeout) throws IOException {
        return portForward(url, timeout, Access.plain());
    }

    /** Opens a {@code portforward.k8s.io} session over SPDY, with TLS and extra headers as {@code access} says. */
    public static PortForwardSession portForward(URI url, Duration timeout, Access access) throws IOException {
        return PortForwardSession.open(url, timeout, access);
    }

    private static ExecSession open(URI url, StreamOptions options) throws IOException {
        return switch (options.transport()) {
            case SPDY -> SpdyExecSession.open(url, options);
            case WEBSOCKET -> WebSocketExecSession.open(url, options);
        };
    }
}
