package dev.skiff.streamclient;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/** Writes SPDY/3 frames, one at a time (callers on several threads share one connection). */
final class SpdyFrameWriter {
    /** The 24-bit length field's limit. */
    static final int MAX_PAYLOAD = 0xffffff;
    private final OutputStream out;
    private final SpdyHeaderBlock.Encoder headers = new SpdyHeaderBlock.Encoder();

    SpdyFrameWriter(OutputStream out) {
        this.out = out;
    }

    synchronized void write(SpdyFrame frame) throws IOException {
        if (frame instanceof SpdyFrame.Data d) {
            if (d.data().length > MAX_PAYLOAD) {
                throw new IllegalArgumentException("DATA payload over 2^24-1 bytes");
            }
            ByteBuffer b = ByteBuffer.allocate(8);
            b.putInt(d.streamId() & 0x7fffffff);
            b.putInt(((d.fin() ? SpdyFrame.FLAG_FIN : 0) << 24) | d.data().length);
            out.write(b.array());
            out.write(d.data());
        } else if (frame instanceof SpdyFrame.SynStream s) {
            byte[] block = headers.encode(s.headers());
            ByteBuffer b = ByteBuffer.allocate(10 + block.length);
            b.putInt(s.streamId()).putInt(s.associatedTo()).put((byte) (s.priority() << 5)).put((byte) 0).put(block);
            int flags = (s.fin() ? SpdyFrame.FLAG_FIN : 0) | (s.unidirectional() ? SpdyFrame.FLAG_UNIDIRECTIONAL : 0);
            control(SpdyFrame.TYPE_SYN_STREAM, flags, b.array());
        } else if (frame instanceof SpdyFrame.SynReply r) {
            byte[] block = headers.encode(r.headers());
            control(SpdyFrame.TYPE_SYN_REPLY, r.fin() ? SpdyFrame.FLAG_FIN : 0,
                    ByteBuffer.allocate(4 + block.length).putInt(r.streamId()).put(block).array());
        } else if (frame instanceof SpdyFrame.Headers h) {
            byte[] block = headers.encode(h.headers());
            control(SpdyFrame.TYPE_HEADERS, h.fin() ? SpdyFrame.FLAG_FIN : 0,
                    ByteBuffer.allocate(4 + block.length).putInt(h.streamId()).put(block).array());
        } else if (frame instanceof SpdyFrame.RstStream r) {
            control(SpdyFrame.TYPE_RST_STREAM, 0, ByteBuffer.allocate(8).putInt(r.streamId()).putInt(r.status()).array());
        } else if (frame instanceof SpdyFrame.Settings s) {
            ByteBuffer b = ByteBuffer.allocate(4 + 8 * s.values().size()).putInt(s.values().size());
            s.values().forEach((id, value) -> b.putInt(id & 0xffffff).putInt(value));
            control(SpdyFrame.TYPE_SETTINGS, s.clearPersisted() ? 1 : 0, b.array());
        } else if (frame instanceof SpdyFrame.Ping p) {
            control(SpdyFrame.TYPE_PING, 0, ByteBuffer.allocate(4).putInt(p.id()).array());
        } else if (frame instanceof SpdyFrame.GoAway g) {
            control(SpdyFrame.TYPE_GOAWAY, 0, ByteBuffer.allocate(8).putInt(g.lastGoodStreamId()).putInt(g.status()).array());
        } else if (frame instanceof SpdyFrame.WindowUpdate w) {
            control(SpdyFrame.TYPE_WINDOW_UPDATE, 0, ByteBuffer.allocate(8).putInt(w.streamId()).putInt(w.delta()).array());
        }
        out.flush();
    }

    private void control(int type, int flags, byte[] payload) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8);
        b.putInt(0x80000000 | (SpdyFrame.VERSION << 16) | type);
        b.putInt((flags << 24) | payload.length);
        out.write(b.array());
        out.write(payload);
    }
}
