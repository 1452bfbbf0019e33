package dev.skiff.cri.docker;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

class DockerStreamDemuxTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final DockerStreamDemux demux = new DockerStreamDemux(b -> take(b, out), b -> take(b, err));

    private static void take(ByteBuf b, ByteArrayOutputStream to) {
        byte[] bytes = new byte[b.readableBytes()];
        b.readBytes(bytes);
        b.release();
        to.writeBytes(bytes);
    }

    private static byte[] frame(int type, String payload) {
        byte[] p = payload.getBytes(StandardCharsets.UTF_8);
        ByteBuf b = Unpooled.buffer();
        b.writeByte(type).writeZero(3).writeInt(p.length).writeBytes(p);
        byte[] all = new byte[b.readableBytes()];
        b.readBytes(all);
        return all;
    }

    @Test
    void framesCutAtEveryByteAreSplitIntoStdoutAndStderr() {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        wire.writeBytes(frame(1, "hello "));
        wire.writeBytes(frame(2, "oops\n"));
        wire.writeBytes(frame(1, ""));
        wire.writeBytes(frame(1, "world\n"));
        for (byte b : wire.toByteArray()) {
            demux.feed(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        assertEquals("hello world\n", out.toString(StandardCharsets.UTF_8));
        assertEquals("oops\n", err.toString(StandardCharsets.UTF_8));
        demux.release();
    }

    @Test
    void manyFramesInOneRead() {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        for (int i = 0; i < 100; i++) {
            wire.writeBytes(frame(i % 2 == 0 ? 1 : 2, Integer.toString(i)));
        }
        demux.feed(Unpooled.wrappedBuffer(wire.toByteArray()));
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("024681012"));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("13579111315"));
        demux.release();
    }
}
