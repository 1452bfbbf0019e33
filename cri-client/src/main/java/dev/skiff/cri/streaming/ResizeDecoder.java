package dev.skiff.cri.streaming;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits the resize stream into its JSON objects ({@code {"Width":80,"Height":24}} one after
 * another, as Go's json.Encoder writes them; they may arrive cut anywhere). Sizes are flat
 * objects, so matching braces is enough to find where one ends.
 */
final class ResizeDecoder {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A size is some 30 bytes; anything this long without a closing brace is not one. */
    private static final int MAX_PENDING = 4096;

    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    /** The sizes completed by these bytes (the buffer is not released here); malformed objects are skipped. */
    List<TerminalSize> feed(ByteBuf data) {
        List<TerminalSize> sizes = new ArrayList<>();
        for (int i = data.readerIndex(); i < data.writerIndex(); i++) {
            byte b = data.getByte(i);
            if (pending.size() == 0 && b != '{') {
                continue; // whitespace between objects
            }
            pending.write(b);
            if (b == '}') {
                parse(pending.toByteArray(), sizes);
                pending.reset();
            } else if (pending.size() > MAX_PENDING) {
                pending.reset();
            }
        }
        return sizes;
    }

    private static void parse(byte[] json, List<TerminalSize> out) {
        try {
            JsonNode node = JSON.readTree(json);
            int w = node.path("Width").asInt(-1);
            int h = node.path("Height").asInt(-1);
            if (w >= 0 && h >= 0 && w <= 0xFFFF && h <= 0xFFFF) {
                out.add(new TerminalSize(w, h));
            }
        } catch (IOException e) {
            // not a size: skip it, as the next one will still be read
        }
    }
}
