package dev.skiff.cri.docker;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventBodyDecoderTest {
    private static final String HEAD = "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\n"
            + "Date: Mon, 07 Dec 2026 22:00:00 GMT\r\nTransfer-Encoding: chunked\r\n\r\n";
    private static final String START = "{\"status\":\"start\",\"id\":\"abc\",\"from\":\"busybox\",\"Type\":\"container\","
            + "\"Action\":\"start\",\"Actor\":{\"ID\":\"abc\",\"Attributes\":{\"io.kubernetes.docker.type\":\"container\","
            + "\"name\":\"k8s_c\"}},\"scope\":\"local\",\"time\":1,\"timeNano\":1000000000}\n";
    private static final String EXEC = "{\"status\":\"exec_start: sh -c true\",\"id\":\"abc\",\"Type\":\"container\","
            + "\"Action\":\"exec_start: sh -c true\",\"Actor\":{\"ID\":\"abc\",\"Attributes\":{}}}\n";

    private static String chunk(String s) {
        return Integer.toHexString(s.getBytes(StandardCharsets.UTF_8).length) + "\r\n" + s + "\r\n";
    }

    /** Feeds the bytes in pieces of {@code step}, as reads may split them anywhere. */
    private static List<String> feed(EventBodyDecoder d, String bytes, int step) throws IOException {
        byte[] all = bytes.getBytes(StandardCharsets.UTF_8);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < all.length; i += step) {
            out.addAll(d.feed(ByteBuffer.wrap(all, i, Math.min(step, all.length - i))));
        }
        return out;
    }

    @Test
    void eventsComeOutWholeWhereverReadsAndChunksSplitThem() throws IOException {
        // one event across two chunks, then two events in one chunk
        String body = chunk(START.substring(0, 40)) + chunk(START.substring(40)) + chunk(EXEC + START);
        for (int step : new int[] {1, 2, 3, 7, 64, 4096}) {
            EventBodyDecoder d = new EventBodyDecoder();
            List<String> lines = feed(d, HEAD + body, step);
            assertEquals(List.of(START.trim(), EXEC.trim(), START.trim()), lines, "step " + step);
            assertFalse(d.done());
        }
    }

    @Test
    void theLastChunkEndsTheStream() throws IOException {
        EventBodyDecoder d = new EventBodyDecoder();
        feed(d, HEAD + chunk(START) + "0\r\n\r\n", 5);
        assertTrue(d.done());
    }

    @Test
    void aRefusalIsAnError() {
        EventBodyDecoder d = new EventBodyDecoder();
        IOException e = assertThrows(IOException.class, () -> feed(d,
                "HTTP/1.1 400 Bad Request\r\nContent-Length: 30\r\n\r\n{\"message\":\"invalid filter\"}", 4096));
        assertTrue(e.getMessage().contains("HTTP 400"), e.getMessage());
    }

    @Test
    void aMalformedChunkSizeIsAnError() {
        assertThrows(IOException.class, () -> feed(new EventBodyDecoder(), HEAD + "zz\r\n", 4096));
    }

    @Test
    void eventsAreParsedToTypeActionIdAndAttributes() throws IOException {
        DockerEvent start = DockerEvent.parse(START.trim());
        assertEquals(new DockerEvent("container", "start", "abc",
                Map.of(KubeLabels.TYPE, KubeLabels.TYPE_CONTAINER, "name", "k8s_c")), start);
        assertEquals("exec_start", DockerEvent.parse(EXEC.trim()).action());
        assertThrows(IOException.class, () -> DockerEvent.parse("[1]"));
    }
}
