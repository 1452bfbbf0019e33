package dev.skiff.volume.pv;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {
    @Test
    void writesAndParsesBack() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "q\"b\\s/\n\r\t\u0000\u001fü€");
        m.put("n", -42L);
        m.put("t", true);
        m.put("f", false);
        m.put("z", null);
        m.put("l", new ArrayList<>(Arrays.asList(1L, "x", null, List.of(), Map.of())));
        m.put("o", Map.of());
        assertEquals(m, Json.parse(Json.write(m)));
    }

    @Test
    void parsesEscapesAndSpace() {
        assertEquals(Map.of("a", "é/\b\f"), Json.parse(" {\"a\" : \"\\u00e9\\/\\b\\f\"}\n"));
    }

    @Test
    void rejectsMalformedInputWithTheOffset() {
        for (String bad : List.of("", "{", "{\"a\"}", "{\"a\":1,}", "[1 2]", "\"\u0001\"", "\"\\x\"", "\"\\u12\"",
                "tru", "01x", "01", "-01", "1.0", "1e3", "-", "{a:1}", "{} {}", "\"open", "99999999999999999999")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(bad), bad);
            assertTrue(e.getMessage().contains("at offset"), e.getMessage());
        }
    }
}
