package dev.skiff.streamclient;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.zip.Adler32;

import static org.junit.jupiter.api.Assertions.*;

class SpdyFramingTest {
    @Test
    void dictionaryIsTheDraftsFourteenHundredTwentyThreeBytes() {
        byte[] d = SpdyDictionary.bytes();
        assertEquals(1423, d.length);
        assertEquals("\0\0\0\7options", new String(d, 0, 11, java.nio.charset.StandardCharsets.US_ASCII));
        assertTrue(new String(d, java.nio.charset.StandardCharsets.US_ASCII).endsWith(",*,enq=0."));
        Adler32 adler = new Adler32();
        adler.update(d);
        // the dictionary id every SPDY/3 peer puts in its zlib header (FDICT)
        assertEquals(0xe3c6a7c2L, adler.getValue());
    }

    @Test
    void framesRoundTripAndHeaderBlocksShareOneZlibStreamPerDirection() throws Exception {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        SpdyFrameWriter w = new SpdyFrameWriter(wire);
        List<SpdyFrame> frames = List.of(
                new SpdyFrame.SynStream(1, 0, 0, false, false, Map.of("streamtype", List.of("error"))),
                new SpdyFrame.SynStream(3, 0, 0, true, false, Map.of("streamtype", List.of("stdin"), "port", List.of("80", "81"))),
                new SpdyFrame.SynReply(1, false, Map.of()),
                new SpdyFrame.Data(3, true, "hello".getBytes()),
                new SpdyFrame.RstStream(3, SpdyFrame.CANCEL),
                new SpdyFrame.Settings(false, Map.of(7, 65536)),
                new SpdyFrame.Ping(2),
                new SpdyFrame.WindowUpdate(0, 1000),
                new SpdyFrame.Headers(1, true, Map.of("x", List.of("y"))),
                new SpdyFrame.GoAway(1, 0));
        for (SpdyFrame f : frames) {
            w.write(f);
        }
        SpdyFrameReader r = new SpdyFrameReader(new ByteArrayInputStream(wire.toByteArray()));
        for (SpdyFrame f : frames) {
            SpdyFrame read = r.read();
            if (f instanceof SpdyFrame.Data d) {
                SpdyFrame.Data rd = (SpdyFrame.Data) read;
                assertEquals(d.streamId(), rd.streamId());
                assertEquals(d.fin(), rd.fin());
                assertArrayEquals(d.data(), rd.data());
            } else {
                assertEquals(f, read);
            }
        }
        assertNull(r.read(), "clean end between frames");
    }

    @Test
    void controlFrameHeaderIsVersionThreeWithTypeFlagsAndLength() throws Exception {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        new SpdyFrameWriter(wire).write(new SpdyFrame.Ping(7));
        assertArrayEquals(new byte[]{(byte) 0x80, 3, 0, 6, 0, 0, 0, 4, 0, 0, 0, 7}, wire.toByteArray());
        wire.reset();
        new SpdyFrameWriter(wire).write(new SpdyFrame.Data(5, true, new byte[]{9}));
        assertArrayEquals(new byte[]{0, 0, 0, 5, 1, 0, 0, 1, 9}, wire.toByteArray());
    }

    @Test
    void upperCaseHeaderNamesAreRefusedBothWays() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> new SpdyFrameWriter(new ByteArrayOutputStream())
                .write(new SpdyFrame.SynReply(1, false, Map.of("streamType", List.of("error")))));
        // a server writing "streamType" by hand: spdystream rejects it, so does the reader
        ByteBuffer block = ByteBuffer.allocate(4 + 4 + 10 + 4 + 5).putInt(1).putInt(10).put("streamType".getBytes()).putInt(5).put("error".getBytes());
        java.util.zip.Deflater deflater = new java.util.zip.Deflater();
        deflater.setDictionary(SpdyDictionary.bytes());
        deflater.setInput(block.array());
        byte[] compressed = new byte[256];
        int n = deflater.deflate(compressed, 0, compressed.length, java.util.zip.Deflater.SYNC_FLUSH);
        ByteBuffer frame = ByteBuffer.allocate(12 + n).putInt(0x80030002).putInt(4 + n).putInt(1).put(compressed, 0, n);
        SpdyFrameReader r = new SpdyFrameReader(new ByteArrayInputStream(frame.array()));
        assertThrows(ProtocolException.class, r::read);
    }
}
