package dev.skiff.kubelet.lifecycle;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GoQuoteTest {
    @Test
    void quotesAsGoStrconvQuote() {
        assertEquals("\"\"", GoQuote.quote(""));
        assertEquals("\"plain text\"", GoQuote.quote("plain text"));
        assertEquals("\"say \\\"hi\\\"\\n\\ttab \\\\ back\"", GoQuote.quote("say \"hi\"\n\ttab \\ back"));
        assertEquals("\"bell\\a nul\\x00 del\\x7f\"", GoQuote.quote("bell\u0007 nul\u0000 del\u007f"));
        assertEquals("\"héllo wörld ✓\"", GoQuote.quote("héllo wörld ✓"));
        assertEquals("\"zero\\u200bwidth\"", GoQuote.quote("zero\u200bwidth"));
    }
}
