package dev.skiff.cri.streaming;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ResizeDecoderTest {
    private final ResizeDecoder decoder = new ResizeDecoder();

    private List<TerminalSize> feed(String s) {
        ByteBuf b = Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
        try {
            return decoder.feed(b);
        } finally {
            b.release();
        }
    }

    @Test
    void objectsCutAnywhereAndBackToBackAreAllRead() {
        assertEquals(List.of(), feed("{\"Width\":80,"));
        assertEquals(List.of(new TerminalSize(80, 24), new TerminalSize(100, 40)),
                feed("\"Height\":24}\n{\"Width\":100,\"Height\":40}{\"Wid"));
        assertEquals(List.of(new TerminalSize(1, 2)), feed("th\":1,\"Height\":2}"));
    }

    @Test
    void malformedOrOutOfRangeSizesAreSkipped() {
        assertEquals(List.of(new TerminalSize(5, 6)),
                feed("{\"Width\":\"x\"}{\"Width\":70000,\"Height\":1}{not json}{\"Width\":5,\"Height\":6}"));
    }
}
