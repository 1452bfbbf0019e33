package dev.skiff.cri.streaming;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

class WebSocketChannelsTest {
    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }

    @Test
    void binaryMessagesStartWithTheChannelByte() {
        WebSocketFrame f = WebSocketChannels.frame(3, bytes("{}"), false);
        assertInstanceOf(BinaryWebSocketFrame.class, f);
        assertArrayEquals(new byte[] {3, '{', '}'}, io.netty.buffer.ByteBufUtil.getBytes(f.content()));
        WebSocketChannels.Message m = WebSocketChannels.read(f, false);
        assertEquals(3, m.channel());
        assertEquals("{}", m.payload().toString(StandardCharsets.UTF_8));
        m.payload().release();
        f.release();
    }

    @Test
    void base64MessagesStartWithTheChannelDigit() {
        WebSocketFrame f = WebSocketChannels.frame(1, bytes("hello"), true);
        assertEquals("1aGVsbG8=", ((TextWebSocketFrame) f).text());
        WebSocketChannels.Message m = WebSocketChannels.read(new TextWebSocketFrame("0d29ybGQ="), true);
        assertEquals(0, m.channel());
        assertEquals("world", m.payload().toString(StandardCharsets.UTF_8));
        m.payload().release();
        assertEquals("2", ((TextWebSocketFrame) WebSocketChannels.frame(2, Unpooled.EMPTY_BUFFER, true)).text(), "an empty message is the channel alone");
        f.release();
    }

    @Test
    void controlAndEmptyFramesCarryNoMessage() {
        assertNull(WebSocketChannels.read(new PingWebSocketFrame(), false));
        assertNull(WebSocketChannels.read(new BinaryWebSocketFrame(), false));
    }
}
