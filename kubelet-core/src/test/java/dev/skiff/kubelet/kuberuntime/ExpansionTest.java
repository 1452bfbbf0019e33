package dev.skiff.kubelet.kuberuntime;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ExpansionTest {
    private final Map<String, String> vars = Map.of("A", "a", "B", "bee", "EMPTY", "");

    @Test
    void upstreamCases() {
        assertEquals("a", Expansion.expand("$(A)", vars));
        assertEquals("x-a-bee-y", Expansion.expand("x-$(A)-$(B)-y", vars));
        assertEquals("", Expansion.expand("$(EMPTY)", vars));
        assertEquals("$(UNKNOWN)", Expansion.expand("$(UNKNOWN)", vars));
        assertEquals("$(A)", Expansion.expand("$$(A)", vars));
        assertEquals("$a", Expansion.expand("$$$(A)", vars));
        assertEquals("$$(A)", Expansion.expand("$$$$(A)", vars));
        assertEquals("$", Expansion.expand("$", vars));
        assertEquals("a$", Expansion.expand("$(A)$", vars));
        assertEquals("$(A", Expansion.expand("$(A", vars));
        assertEquals("$(", Expansion.expand("$(", vars));
        assertEquals("$x$(A)", Expansion.expand("$x$$(A)", vars));
        assertEquals("()", Expansion.expand("()", vars));
        assertEquals("$()", Expansion.expand("$()", vars));
        assertEquals("plain", Expansion.expand("plain", vars));
    }
}
