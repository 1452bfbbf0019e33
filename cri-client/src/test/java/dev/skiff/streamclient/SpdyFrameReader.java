package dev.skiff.streamclient;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads SPDY/3 frames (draft 3, section 2.2): a control frame starts with the C bit, a 15-bit
 * version and a 16-bit type; a data frame with a 31-bit stream id. Then 8 bits of flags and a
 * 24-bit length. Unknown control frame types are skipped, as the draft asks.
 */
final class SpdyFrameReader {
    private final DataInputStream in;
    private final SpdyHeaderBlock.Decoder headers = new SpdyHeaderBlock.Decoder();

    SpdyFrameReader(InputStream in) {
        this.in = new DataInputStream(in);
    }

    /** The next frame, or null at a clean end of the connection (between frames). */
    SpdyFrame read() throws IOException {
        while (true) {
            int first;
            try {
                first = in.readInt();
            } catch (EOFException e) {
                return null;
            }
            int second = in.readInt();
            int flags = second >>> 24;
            int length = second & 0xffffff;
            byte[] payload = new byte[length];
            in.readFully(payload);
            if (first >= 0) {
                return new SpdyFrame.Data(first & 0x7fffffff, (flags & SpdyFrame.FLAG_FIN) != 0, payload);
            }
            int version = (first >>> 16) & 0x7fff;
            if (version != SpdyFrame.VERSION) {
                throw new ProtocolException("SPDY control frame of version " + version + ", expected 3");
            }
            SpdyFrame frame = control(first & 0xffff, flags, payload);
            if (frame != null) {
                return frame;
            }
        }
    }

    private SpdyFrame control(int type, int flags, byte[] payload) throws ProtocolException {
        ByteBuffer b = ByteBuffer.wrap(payload);
        boolean fin = (flags & SpdyFrame.FLAG_FIN) != 0;
        switch (type) {
            case SpdyFrame.TYPE_SYN_STREAM -> {
                need(payload, 10, "SYN_STREAM");
                int id = b.getInt() & 0x7fffffff;
                int assoc = b.getInt() & 0x7fffffff;
                int priority = (b.get() & 0xff) >>> 5;
                return new SpdyFrame.SynStream(id, assoc, priority, fin, (flags & SpdyFrame.FLAG_UNIDIRECTIONAL) != 0,
                        headers.decode(payload, 10));
            }
            case SpdyFrame.TYPE_SYN_REPLY -> {
                need(payload, 4, "SYN_REPLY");
                return new SpdyFrame.SynReply(b.getInt() & 0x7fffffff, fin, headers.decode(payload, 4));
            }
            case SpdyFrame.TYPE_RST_STREAM -> {
                exactly(payload, 8, "RST_STREAM");
                return new SpdyFrame.RstStream(b.getInt() & 0x7fffffff, b.getInt());
            }
            case SpdyFrame.TYPE_SETTINGS -> {
                need(payload, 4, "SETTINGS");
                int count = b.getInt();
                exactly(payload, 4 + 8L * count, "SETTINGS");
                Map<Integer, Integer> values = new LinkedHashMap<>();
                for (int i = 0; i < count; i++) {
                    values.put(b.getInt() & 0xffffff, b.getInt());
                }
                return new SpdyFrame.Settings((flags & 0x01) != 0, values);
            }
            case SpdyFrame.TYPE_PING -> {
                exactly(payload, 4, "PING");
                return new SpdyFrame.Ping(b.getInt());
            }
            case SpdyFrame.TYPE_GOAWAY -> {
                exactly(payload, 8, "GOAWAY");
                return new SpdyFrame.GoAway(b.getInt() & 0x7fffffff, b.getInt());
            }
            case SpdyFrame.TYPE_HEADERS -> {
                need(payload, 4, "HEADERS");
                return new SpdyFrame.Headers(b.getInt() & 0x7fffffff, fin, headers.decode(payload, 4));
            }
            case SpdyFrame.TYPE_WINDOW_UPDATE -> {
                exactly(payload, 8, "WINDOW_UPDATE");
                return new SpdyFrame.WindowUpdate(b.getInt() & 0x7fffffff, b.getInt() & 0x7fffffff);
            }
            default -> {
                return null; // draft 3, 2.2.1: unknown control frames are ignored
            }
        }
    }

    private static void need(byte[] payload, int min, String type) throws ProtocolException {
        if (payload.length < min) {
            throw new ProtocolException(type + " frame of " + payload.length + " bytes, at least " + min + " expected");
        }
    }

    private static void exactly(byte[] payload, long size, String type) throws ProtocolException {
        if (payload.length != size) {
            throw new ProtocolException(type + " frame of " + payload.length + " bytes, " + size + " expected");
        }
    }
}
