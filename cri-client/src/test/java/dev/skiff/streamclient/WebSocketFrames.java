package dev.skiff.streamclient;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.util.Random;

/**
 * RFC 6455 section 5 framing: FIN, RSV1-3, a 4-bit opcode, MASK, a 7-bit length (126: 16-bit
 * length follows, 127: 64-bit), the masking key, the payload. A client masks every frame (5.3);
 * a server masks none (5.1), and no extension is negotiated here, so RSV bits must be zero.
 */
final class WebSocketFrames {
    static final int CONTINUATION = 0x0;
    static final int TEXT = 0x1;
    static final int BINARY = 0x2;
    static final int CLOSE = 0x8;
    static final int PING = 0x9;
    static final int PONG = 0xA;
    private static final long MAX_PAYLOAD = 64L << 20;

    record Frame(boolean fin, int opcode, byte[] payload) {
        boolean control() {
            return (opcode & 0x8) != 0;
        }
    }

    private WebSocketFrames() {}

    /** The next frame from the server, or null at a clean end of the connection (between frames). */
    static Frame read(DataInputStream in) throws IOException {
        int b0 = in.read();
        if (b0 < 0) {
            return null;
        }
        int b1 = in.readUnsignedByte();
        if ((b0 & 0x70) != 0) {
            throw new ProtocolException("WebSocket frame with RSV bits set and no extension negotiated");
        }
        if ((b1 & 0x80) != 0) {
            throw new ProtocolException("masked WebSocket frame from the server (RFC 6455 5.1 forbids it)");
        }
        long length = b1 & 0x7f;
        if (length == 126) {
            length = in.readUnsignedShort();
        } else if (length == 127) {
            length = in.readLong();
        }
        int opcode = b0 & 0x0f;
        boolean fin = (b0 & 0x80) != 0;
        if ((opcode & 0x8) != 0 && (length > 125 || !fin)) {
            throw new ProtocolException("WebSocket control frame fragmented or over 125 bytes");
        }
        if (length < 0 || length > MAX_PAYLOAD) {
            throw new ProtocolException("WebSocket frame of " + length + " bytes");
        }
        byte[] payload = new byte[(int) length];
        try {
            in.readFully(payload);
        } catch (EOFException e) {
            throw new ProtocolException("connection closed inside a WebSocket frame");
        }
        return new Frame(fin, opcode, payload);
    }

    /** One unfragmented, masked client frame. */
    static void write(OutputStream out, int opcode, byte[] payload, Random random) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(14);
        head.put((byte) (0x80 | opcode));
        if (payload.length < 126) {
            head.put((byte) (0x80 | payload.length));
        } else if (payload.length <= 0xffff) {
            head.put((byte) (0x80 | 126)).putShort((short) payload.length);
        } else {
            head.put((byte) (0x80 | 127)).putLong(payload.length);
        }
        byte[] key = new byte[4];
        random.nextBytes(key);
        head.put(key);
        out.write(head.array(), 0, head.position());
        out.write(mask(payload, key));
        out.flush();
    }

    /** Masks (or unmasks: the same XOR) a payload with a 4-byte key. */
    static byte[] mask(byte[] payload, byte[] key) {
        byte[] out = new byte[payload.length];
        for (int i = 0; i < payload.length; i++) {
            out[i] = (byte) (payload[i] ^ key[i & 3]);
        }
        return out;
    }
}
