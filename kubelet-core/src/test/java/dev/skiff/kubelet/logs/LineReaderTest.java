package dev.skiff.kubelet.logs;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class LineReaderTest {
    @Test
    void linesSplitAcrossManySmallReadsComeOutWhole() throws IOException {
        StringBuilder text = new StringBuilder();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            String line = "line-" + i + " " + "x".repeat(i % 97);
            expected.add(line);
            text.append(line).append('\n');
        }
        // reads of 7 bytes at most: every line crosses reads, and the buffer is compacted often
        InputStream trickle = new ByteArrayInputStream(text.toString().getBytes(StandardCharsets.UTF_8)) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 7));
            }
        };
        List<String> got = new ArrayList<>();
        try (LineReader r = new LineReader(trickle)) {
            for (byte[] l = r.next(); l != null; l = r.next()) {
                got.add(new String(l, StandardCharsets.UTF_8));
            }
        }
        assertEquals(expected, got);
    }

    @Test
    void anUnfinishedLineWaitsForItsNewline() throws IOException {
        LineReader r = new LineReader(new ByteArrayInputStream("done\nhalf".getBytes(StandardCharsets.UTF_8)));
        assertEquals("done", new String(r.next(), StandardCharsets.UTF_8));
        assertNull(r.next());
    }
}
