package dev.skiff.streamclient;

import java.io.IOException;
import java.net.ProtocolException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A {@code portforward.k8s.io} session over SPDY, as client-go's port forwarder: each forwarded
 * connection is a pair of streams, error then data, sharing {@code port} and {@code requestid}
 * headers; the error stream is half-closed at once (the client never writes to it).
 */
public final class PortForwardSession implements AutoCloseable {
    public static final String PROTOCOL = "portforward.k8s.io";
    private final SpdyConnection connection;
    private int nextRequestId;

    private PortForwardSession(SpdyConnection connection) {
        this.connection = connection;
    }

    static PortForwardSession open(URI url, Duration timeout, Access access) throws IOException {
        HttpUpgrade.Upgraded upgraded = SpdyExecSession.upgrade(url, "POST", List.of(PROTOCOL), timeout, access);
        SpdyConnection connection = new SpdyConnection(upgraded, url, timeout);
        String protocol = upgraded.header("X-Stream-Protocol-Version");
        if (!PROTOCOL.equals(protocol)) {
            connection.close();
            throw new ProtocolException("server chose X-Stream-Protocol-Version " + protocol + ", offered " + PROTOCOL);
        }
        return new PortForwardSession(connection);
    }

    /** Opens one forwarded connection to {@code port} in the pod. */
    public PortForwardStream stream(int port) throws IOException {
        String requestId;
        synchronized (this) {
            requestId = Integer.toString(nextRequestId++);
        }
        SpdyStream error = connection.open(Map.of("streamtype", "error", "port", Integer.toString(port), "requestid", requestId));
        error.closeWrite();
        SpdyStream data = connection.open(Map.of("streamtype", "data", "port", Integer.toString(port), "requestid", requestId));
        return new PortForwardStream(port, data, error);
    }

    @Override
    public void close() {
        connection.close();
    }
}
