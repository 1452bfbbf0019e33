package dev.skiff.kubelet.config;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuantityTest {

    @ParameterizedTest
    @CsvSource({
            "10Mi, 10485760",
            "5Mi, 5242880",
            "256Ki, 262144",
            "1Gi, 1073741824",
            "1.5Gi, 1610612736",
            "1Ti, 1099511627776",
            "1Ei, 1152921504606846976",
            "1k, 1000",
            "1M, 1000000",
            "1G, 1000000000",
            "2E, 2000000000000000000",
            "100m, 1",
            "1500m, 2",
            "1n, 1",
            "1e3, 1000",
            "1E6, 1000000",
            "12e-1, 2",
            "1024, 1024",
            "+5, 5",
            "-1Ki, -1024",
            "0, 0",
            "0.5Ki, 512",
            "5., 5",
    })
    void parsesBinaryDecimalAndExponentSuffixes(String text, long value) {
        Quantity q = Quantity.parse(text);
        assertEquals(value, q.longValue());
        assertEquals(text, q.toString());
    }

    @ParameterizedTest
    @CsvSource({"100m, 0.1", "1.5Gi, 1610612736", "12e-1, 1.2", "1u, 0.000001"})
    void keepsTheExactAmount(String text, String exact) {
        assertEquals(0, new BigDecimal(exact).compareTo(Quantity.parse(text).amount()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Mi", "10MB", "10 Mi", " 10Mi", "10Mi ", "1.2.3", "10K", "10KiB", "e3", "1e",
            "1e+", "--1", ".", "+", "10mi", "0x10"})
    void rejectsInvalidQuantities(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Quantity.parse(text));
        assertTrue(e.getMessage().contains("quantity \"" + text + "\""), e.getMessage());
    }
}
