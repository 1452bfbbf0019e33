package dev.skiff.streamclient;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Exec/attach over SPDY as client-go's remotecommand does it: after the upgrade, one stream per
 * {@code streamtype} in the order error, stdin, stdout, stderr (not with a TTY), resize (TTY,
 * v3+), each created only after the previous one's SYN_REPLY.
 */
final class SpdyExecSession implements ExecSession {
    private final String protocol;
    private final SpdyConnection connection;
    private final SpdyStream error;
    private final SpdyStream stdin;
    private final SpdyStream stdout;
    private final SpdyStream stderr;
    private final SpdyStream resize;

    private SpdyExecSession(String protocol, SpdyConnection connection, StreamOptions o) throws IOException {
        this.protocol = protocol;
        this.connection = connection;
        this.error = connection.open(Map.of("streamtype", "error"));
        this.stdin = o.stdin() ? connection.open(Map.of("streamtype", "stdin")) : null;
        this.stdout = o.stdout() ? connection.open(Map.of("streamtype", "stdout")) : null;
        this.stderr = o.stderr() && !o.tty() ? connection.open(Map.of("streamtype", "stderr")) : null;
        boolean resizable = o.tty() && !protocol.equals("v2.channel.k8s.io") && !protocol.equals("channel.k8s.io");
        this.resize = resizable ? connection.open(Map.of("streamtype", "resize")) : null;
    }

    static SpdyExecSession open(URI url, StreamOptions o) throws IOException {
        HttpUpgrade.Upgraded upgraded = upgrade(url, o.transport().method(), o.offeredProtocols(), o.timeout(), o.access());
        String protocol = upgraded.header("X-Stream-Protocol-Version");
        SpdyConnection connection = new SpdyConnection(upgraded, url, o.timeout());
        try {
            if (protocol == null || !o.offeredProtocols().contains(protocol)) {
                throw new ProtocolException("server chose X-Stream-Protocol-Version " + protocol + ", offered " + o.offeredProtocols());
            }
            return new SpdyExecSession(protocol, connection, o);
        } catch (IOException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    /** The SPDY/3.1 upgrade request Kubernetes' clients send. */
    static HttpUpgrade.Upgraded upgrade(URI url, String method, List<String> protocols, Duration timeout, Access access) throws IOException {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("Connection", List.of("Upgrade"));
        headers.put("Upgrade", List.of("SPDY/3.1"));
        headers.put("X-Stream-Protocol-Version", protocols);
        HttpUpgrade.Upgraded upgraded = HttpUpgrade.open(url, method, headers, timeout, access);
        if (!"SPDY/3.1".equalsIgnoreCase(upgraded.header("Upgrade"))) {
            upgraded.socket().close();
            throw new ProtocolException("101 from " + url + " without Upgrade: SPDY/3.1 (got " + upgraded.header("Upgrade") + ")");
        }
        return upgraded;
    }

    @Override
    public String protocol() {
        return protocol;
    }

    @Override
    public OutputStream stdin() {
        return requested(stdin, "stdin").output();
    }

    @Override
    public InputStream stdout() {
        return requested(stdout, "stdout").input();
    }

    @Override
    public InputStream stderr() {
        return requested(stderr, "stderr").input();
    }

    @Override
    public boolean hasStderr() {
        return stderr != null;
    }

    @Override
    public void resize(int width, int height) throws IOException {
        // encoding/json's Encoder, as client-go uses it: one object, then a newline
        String size = "{\"Width\":" + width + ",\"Height\":" + height + "}\n";
        requested(resize, "resize (a TTY session over v3 or later)").output().write(size.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void closeStdin() throws IOException {
        requested(stdin, "stdin").closeWrite();
    }

    @Override
    public ExecStatus awaitStatus(Duration timeout) throws IOException {
        if (!error.awaitEnd(timeout)) {
            throw new SocketTimeoutException("the error stream did not end within " + timeout);
        }
        return ExecStatus.parse(protocol, error.input().readAllBytes());
    }

    @Override
    public void close() {
        connection.close();
    }

    private static SpdyStream requested(SpdyStream s, String what) {
        if (s == null) {
            throw new IllegalStateException("this session has no " + what + " stream: ask for it in StreamOptions");
        }
        return s;
    }
}
