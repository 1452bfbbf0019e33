package dev.skiff.kubelet.it;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * A few lines of RFC 6455 from the client side, written for the tests (no Netty, no Skiff code): the upgrade request
 * with {@code v4.channel.k8s.io}, then the server's unmasked binary messages sorted by their channel byte until it
 * closes. It sends nothing after the handshake, so it suits commands without stdin.
 */
final class RawWebSocket implements AutoCloseable {
    private final SSLSocket socket;
    private final DataInputStream in;

    record Result(String stdout, String stderr, String error) {}

    private RawWebSocket(SSLSocket socket, DataInputStream in) {
        this.socket = socket;
        this.in = in;
    }

    static RawWebSocket open(SSLContext tls, int port, String path, String token) throws IOException {
        SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", port);
        s.setSoTimeout(60_000);
        byte[] key = new byte[16];
        new SecureRandom().nextBytes(key);
        String req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nAuthorization: Bearer " + token
                + "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
                + Base64.getEncoder().encodeToString(key) + "\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n";
        OutputStream out = s.getOutputStream();
        out.write(req.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        DataInputStream in = new DataInputStream(s.getInputStream());
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("no answer to the upgrade; got: " + head);
            }
            head.append((char) b);
        }
        if (!head.toString().startsWith("HTTP/1.1 101") || !head.toString().contains("v4.channel.k8s.io")) {
            s.close();
            throw new IOException("not upgraded to v4.channel.k8s.io: " + head);
        }
        return new RawWebSocket(s, in);
    }

    /** Every message until the server closes. */
    Result readToEnd() throws IOException {
        ByteArrayOutputStream[] channels = {new ByteArrayOutputStream(), new ByteArrayOutputStream(),
                new ByteArrayOutputStream(), new ByteArrayOutputStream()};
        try (this) {
            while (true) {
                int b0 = in.read();
                if (b0 < 0) {
                    break;
                }
                int opcode = b0 & 0x0f;
                long len = in.readUnsignedByte() & 0x7f; // a server's frames are not masked
                if (len == 126) {
                    len = in.readUnsignedShort();
                } else if (len == 127) {
                    len = in.readLong();
                }
                byte[] payload = new byte[(int) len];
                in.readFully(payload);
                if (opcode == 8) {
                    break;
                }
                if (opcode == 2 && payload.length > 0 && payload[0] >= 1 && payload[0] <= 3) {
                    channels[payload[0]].write(payload, 1, payload.length - 1);
                }
            }
        }
        return new Result(channels[1].toString(StandardCharsets.UTF_8), channels[2].toString(StandardCharsets.UTF_8),
                channels[3].toString(StandardCharsets.UTF_8));
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
