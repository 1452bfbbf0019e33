package dev.skiff.streamclient;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class WebSocketFramingTest {
    @Test
    void acceptKeyIsRfc6455sExample() {
        assertEquals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketConnection.accept("dGhlIHNhbXBsZSBub25jZQ=="));
    }

    @Test
    void clientFramesAreMaskedWithTheRightLengthForm() throws Exception {
        for (int size : new int[]{0, 125, 126, 65535, 65536}) {
            byte[] payload = new byte[size];
            new Random(size).nextBytes(payload);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            WebSocketFrames.write(out, WebSocketFrames.BINARY, payload, new Random(1));
            ByteBuffer b = ByteBuffer.wrap(out.toByteArray());
            assertEquals((byte) 0x82, b.get(), "FIN + binary");
            int len7 = b.get() & 0xff;
            assertTrue((len7 & 0x80) != 0, "MASK bit set on every client frame");
            long len = len7 & 0x7f;
            if (len == 126) {
                len = b.getShort() & 0xffff;
            } else if (len == 127) {
                len = b.getLong();
            }
            assertEquals(size, len);
            assertEquals(size < 126 ? size : size <= 65535 ? 126 : 127, len7 & 0x7f, "shortest length form");
            byte[] key = new byte[4];
            b.get(key);
            byte[] masked = Arrays.copyOfRange(out.toByteArray(), b.position(), out.size());
            assertArrayEquals(payload, WebSocketFrames.mask(masked, key));
        }
    }

    @Test
    void serverFramesReadWithEveryLengthFormAndMaskedOnesAreRefused() throws Exception {
        byte[] big = new byte[70000];
        ByteBuffer b = ByteBuffer.allocate(2 + 8 + big.length + 2 + 5);
        b.put((byte) 0x82).put((byte) 127).putLong(big.length).put(big);
        b.put((byte) 0x81).put((byte) 5).put("hello".getBytes());
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(b.array()));
        WebSocketFrames.Frame f = WebSocketFrames.read(in);
        assertEquals(WebSocketFrames.BINARY, f.opcode());
        assertEquals(big.length, f.payload().length);
        WebSocketFrames.Frame t = WebSocketFrames.read(in);
        assertEquals("hello", new String(t.payload()));
        assertNull(WebSocketFrames.read(in));

        byte[] masked = {(byte) 0x82, (byte) 0x81, 1, 2, 3, 4, 5};
        assertThrows(ProtocolException.class, () -> WebSocketFrames.read(new DataInputStream(new ByteArrayInputStream(masked))));
    }
}
