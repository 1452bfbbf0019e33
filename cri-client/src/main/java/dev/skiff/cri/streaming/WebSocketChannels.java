package dev.skiff.cri.streaming;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.base64.Base64;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * Kubernetes' channel framing on WebSocket: each message starts with its channel number, a
 * byte in binary messages, an ASCII digit before base64 text in the base64 protocols.
 */
final class WebSocketChannels {
    /** A message's channel and payload (owned by the receiver). */
    record Message(int channel, ByteBuf payload) {}

    private WebSocketChannels() {}

    /** Takes ownership of the payload. */
    static WebSocketFrame frame(int channel, ByteBuf payload, boolean base64) {
        if (!base64) {
            return new BinaryWebSocketFrame(Unpooled.wrappedBuffer(Unpooled.wrappedBuffer(new byte[] {(byte) channel}), payload));
        }
        ByteBuf text = Unpooled.buffer(1 + payload.readableBytes() * 4 / 3 + 4);
        text.writeByte('0' + channel);
        if (payload.isReadable()) {
            ByteBuf encoded = Base64.encode(payload, false);
            text.writeBytes(encoded);
            encoded.release();
        }
        payload.release();
        return new TextWebSocketFrame(text);
    }

    /** The channel and payload of a data message; null for an empty or control frame. The frame itself is not released. */
    static Message read(WebSocketFrame frame, boolean base64) {
        if (!(frame instanceof BinaryWebSocketFrame) && !(frame instanceof TextWebSocketFrame)) {
            return null;
        }
        ByteBuf content = frame.content();
        if (!content.isReadable()) {
            return null;
        }
        if (base64) {
            int channel = content.readByte() - '0';
            return new Message(channel, Base64.decode(content));
        }
        int channel = content.readUnsignedByte();
        return new Message(channel, content.retain());
    }
}
