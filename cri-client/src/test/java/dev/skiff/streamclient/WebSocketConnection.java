package dev.skiff.streamclient;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.ProtocolException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal RFC 6455 client: the opening handshake (section 4.1, Sec-WebSocket-Accept checked),
 * masked frames out, messages in (fragments joined), PING answered with PONG, the closing
 * handshake. Messages are handed to a {@link Listener} on one named reader thread.
 */
final class WebSocketConnection implements AutoCloseable {
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final AtomicInteger SEQ = new AtomicInteger();

    interface Listener {
        void onMessage(boolean binary, byte[] data);

        /** The connection ended: {@code failure} null when it closed cleanly (close frame or EOF between frames). */
        void onEnd(IOException failure);
    }

    private final HttpUpgrade.Upgraded upgraded;
    private final String protocol;
    private final SecureRandom random = new SecureRandom();
    private volatile boolean closeSent;
    private volatile Integer closeCode;

    private WebSocketConnection(HttpUpgrade.Upgraded upgraded, String protocol) {
        this.upgraded = upgraded;
        this.protocol = protocol;
    }

    static WebSocketConnection open(URI url, List<String> protocols, Duration timeout, Access access, Listener listener) throws IOException {
        byte[] nonce = new byte[16];
        new SecureRandom().nextBytes(nonce);
        String key = Base64.getEncoder().encodeToString(nonce);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("Connection", List.of("Upgrade"));
        headers.put("Upgrade", List.of("websocket"));
        headers.put("Sec-WebSocket-Version", List.of("13"));
        headers.put("Sec-WebSocket-Key", List.of(key));
        headers.put("Sec-WebSocket-Protocol", List.of(String.join(", ", protocols)));
        HttpUpgrade.Upgraded upgraded = HttpUpgrade.open(url, "GET", headers, timeout, access);
        try {
            if (!"websocket".equalsIgnoreCase(upgraded.header("Upgrade"))
                    || upgraded.header("Connection") == null
                    || !upgraded.header("Connection").toLowerCase(Locale.ROOT).contains("upgrade")) {
                throw new ProtocolException("101 from " + url + " without Upgrade: websocket and Connection: Upgrade");
            }
            if (!accept(key).equals(upgraded.header("Sec-WebSocket-Accept"))) {
                throw new ProtocolException("wrong Sec-WebSocket-Accept from " + url + ": " + upgraded.header("Sec-WebSocket-Accept"));
            }
            String chosen = upgraded.header("Sec-WebSocket-Protocol");
            if (chosen == null || !protocols.contains(chosen)) {
                throw new ProtocolException("server chose Sec-WebSocket-Protocol " + chosen + ", offered " + protocols);
            }
            WebSocketConnection c = new WebSocketConnection(upgraded, chosen);
            Thread t = new Thread(() -> c.readLoop(listener), "stream-client-ws-" + SEQ.incrementAndGet() + " " + url.getPath());
            t.setDaemon(true);
            t.start();
            return c;
        } catch (IOException | RuntimeException e) {
            upgraded.socket().close();
            throw e;
        }
    }

    static String accept(String key) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((key + GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(sha1);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    String protocol() {
        return protocol;
    }

    /** The status code of the server's close frame, null if none came. */
    Integer closeCode() {
        return closeCode;
    }

    void sendBinary(byte[] message) throws IOException {
        send(WebSocketFrames.BINARY, message);
    }

    private void send(int opcode, byte[] payload) throws IOException {
        synchronized (upgraded.out()) {
            WebSocketFrames.write(upgraded.out(), opcode, payload, random);
        }
    }

    private void readLoop(Listener listener) {
        DataInputStream in = new DataInputStream(upgraded.in());
        ByteArrayOutputStream fragments = new ByteArrayOutputStream();
        int messageOpcode = -1;
        try {
            WebSocketFrames.Frame f;
            while ((f = WebSocketFrames.read(in)) != null) {
                if (f.control()) {
                    if (f.opcode() == WebSocketFrames.PING) {
                        send(WebSocketFrames.PONG, f.payload());
                    } else if (f.opcode() == WebSocketFrames.CLOSE) {
                        closeCode = f.payload().length >= 2 ? ByteBuffer.wrap(f.payload()).getShort() & 0xffff : 1005;
                        sendClose(f.payload().length >= 2 ? Arrays.copyOf(f.payload(), 2) : new byte[0]);
                        break;
                    }
                    continue;
                }
                if (f.opcode() == WebSocketFrames.CONTINUATION) {
                    if (messageOpcode < 0) {
                        throw new ProtocolException("WebSocket continuation frame without a message to continue");
                    }
                } else if (messageOpcode >= 0) {
                    throw new ProtocolException("new WebSocket message inside a fragmented one");
                } else {
                    messageOpcode = f.opcode();
                }
                fragments.write(f.payload());
                if (f.fin()) {
                    listener.onMessage(messageOpcode == WebSocketFrames.BINARY, fragments.toByteArray());
                    fragments.reset();
                    messageOpcode = -1;
                }
            }
            listener.onEnd(null);
        } catch (IOException e) {
            listener.onEnd(closeSent ? null : e);
        } finally {
            closeSocket();
        }
    }

    private void sendClose(byte[] payload) {
        if (!closeSent) {
            closeSent = true;
            try {
                send(WebSocketFrames.CLOSE, payload);
            } catch (IOException e) {
                // the peer is gone already
            }
        }
    }

    /** Close frame 1000 (normal closure), then the socket closes. */
    @Override
    public void close() {
        sendClose(new byte[]{0x03, (byte) 0xe8});
        closeSocket();
    }

    private void closeSocket() {
        try {
            upgraded.socket().close();
        } catch (IOException e) {
            // nothing more to release
        }
    }
}
