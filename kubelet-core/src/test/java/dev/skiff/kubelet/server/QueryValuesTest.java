package dev.skiff.kubelet.server;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class QueryValuesTest {
    @Test
    void repeatedParametersKeepEveryValueInOrderAndQueryKeepsTheFirst() {
        Map<String, List<String>> q = KubeletServer.queryValues("command=sh&command=-c&command=echo%20a%2Bb&output=1&tty");
        assertEquals(List.of("sh", "-c", "echo a+b"), q.get("command"));
        assertEquals(List.of(""), q.get("tty"));
        Request r = new Request("GET", "/exec/a/b/c", q, Map.of(), h -> null, Optional.empty(), () -> true, List.of());
        assertEquals(List.of("sh", "-c", "echo a+b"), r.queryAll("command"));
        assertEquals(List.of(), r.queryAll("input"));
        assertEquals("sh", r.query().get("command"));
        assertEquals("1", r.query().get("output"));
        assertEquals(Map.of(), KubeletServer.queryValues(null));
    }
}
