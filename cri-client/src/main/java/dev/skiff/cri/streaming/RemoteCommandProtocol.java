package dev.skiff.cri.streaming;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The remote-command protocol versions (k8s.io/apimachinery/pkg/util/remotecommand). From v4 on
 * the error stream carries a metav1.Status as JSON; before, a failure's message as text. v3
 * added the resize stream. v5 adds, on WebSocket only, the close signal (channel 255); on SPDY
 * it behaves as v4. The base64 forms exist for WebSocket only.
 */
enum RemoteCommandProtocol {
    V5("v5.channel.k8s.io", true, false, true, true),
    V4("v4.channel.k8s.io", true, false, true, true),
    V4_BASE64("v4.base64.channel.k8s.io", true, true, false, true),
    V3("v3.channel.k8s.io", false, false, true, false),
    V2("v2.channel.k8s.io", false, false, true, false),
    V1("channel.k8s.io", false, false, true, true),
    V1_BASE64("base64.channel.k8s.io", false, true, false, true);

    final String id;
    final boolean statusJson;
    final boolean base64;
    final boolean spdy;
    final boolean webSocket;

    RemoteCommandProtocol(String id, boolean statusJson, boolean base64, boolean spdy, boolean webSocket) {
        this.id = id;
        this.statusJson = statusJson;
        this.base64 = base64;
        this.spdy = spdy;
        this.webSocket = webSocket;
    }

    boolean supportsResize() {
        return this != V1 && this != V2 && this != V1_BASE64;
    }

    boolean closeSignal() {
        return this == V5;
    }

    /** The SPDY versions in the server's order of preference (upstream's SupportedStreamingProtocols, v5 first). */
    static List<String> spdyIds() {
        List<String> ids = new ArrayList<>();
        for (RemoteCommandProtocol p : values()) {
            if (p.spdy) {
                ids.add(p.id);
            }
        }
        return ids;
    }

    static List<String> webSocketIds() {
        List<String> ids = new ArrayList<>();
        for (RemoteCommandProtocol p : values()) {
            if (p.webSocket) {
                ids.add(p.id);
            }
        }
        return ids;
    }

    static Optional<RemoteCommandProtocol> of(String id) {
        for (RemoteCommandProtocol p : values()) {
            if (p.id.equals(id)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** The first of the client's protocols (in its order, as upstream's httpstream.Handshake) that the server speaks. */
    static Optional<String> negotiate(List<String> client, List<String> server) {
        for (String c : client) {
            if (server.contains(c)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }
}
