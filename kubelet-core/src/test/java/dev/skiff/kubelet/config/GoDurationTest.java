package dev.skiff.kubelet.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GoDurationTest {

    @ParameterizedTest
    @CsvSource({
            "0, 0",
            "-0, 0",
            "20s, 20000000000",
            "1m, 60000000000",
            "1m30s, 90000000000",
            "1h, 3600000000000",
            "500ms, 500000000",
            "1.5h, 5400000000000",
            "-2m, -120000000000",
            "+5s, 5000000000",
            ".5s, 500000000",
            "1.s, 1000000000",
            "1h2m3s4ms5us6ns, 3723004005006",
            "1us, 1000",
            "1\u00b5s, 1000",
            "1\u03bcs, 1000",
            "7ns, 7",
            "1.0000000001s, 1000000000",
            "0.1ns, 0",
            "2562047h47m16.854775807s, 9223372036854775807",
            "-2562047h47m16.854775808s, -9223372036854775808",
            "1m1m, 120000000000",
    })
    void parsesGoSyntax(String text, long nanos) {
        assertEquals(Duration.ofNanos(nanos), GoDuration.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-", "+", ".", ".s", "5", "1h5", "abc", "1d", "1h-5m", " 1s", "1s ", "1 s", "s",
            "9223372036854775808ns", "2562047h47m16.854775808s", "1.2.3s"})
    void rejectsWhatGoRejects(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GoDuration.parse(text));
        assertTrue(e.getMessage().startsWith("time: "), e.getMessage());
        assertTrue(e.getMessage().contains("\"" + text + "\""), e.getMessage());
    }

    @Test
    void namesTheProblemAsGoDoes() {
        assertEquals("time: missing unit in duration \"5\"",
                assertThrows(IllegalArgumentException.class, () -> GoDuration.parse("5")).getMessage());
        assertEquals("time: unknown unit \"d\" in duration \"1d\"",
                assertThrows(IllegalArgumentException.class, () -> GoDuration.parse("1d")).getMessage());
        assertEquals("time: invalid duration \"abc\"",
                assertThrows(IllegalArgumentException.class, () -> GoDuration.parse("abc")).getMessage());
    }

    @ParameterizedTest
    @CsvSource({
            "0, 0s",
            "1, 1ns",
            "1500, 1.5\u00b5s",
            "500000000, 500ms",
            "20000000000, 20s",
            "60000000000, 1m0s",
            "90000000000, 1m30s",
            "1500000000, 1.5s",
            "3600000000000, 1h0m0s",
            "5430500000000, 1h30m30.5s",
            "-120000000000, -2m0s",
            "-9223372036854775808, -2562047h47m16.854775808s",
    })
    void formatsLikeGo(long nanos, String text) {
        assertEquals(text, GoDuration.format(Duration.ofNanos(nanos)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"20s", "1m30s", "1h0m0s", "500ms", "1.5\u00b5s", "-2m0s", "3h2m1.000000001s"})
    void formatThenParseRoundTrips(String text) {
        assertEquals(text, GoDuration.format(GoDuration.parse(text)));
    }
}
