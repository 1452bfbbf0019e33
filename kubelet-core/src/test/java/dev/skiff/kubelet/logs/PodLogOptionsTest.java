package dev.skiff.kubelet.logs;

import dev.skiff.kubelet.server.Endpoint;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class PodLogOptionsTest {
    @Test
    void absentParametersAreTheDefaults() throws Exception {
        assertEquals(PodLogOptions.DEFAULT, PodLogOptions.parse(Map.of()));
    }

    @Test
    void everyParameterIsDecoded() throws Exception {
        PodLogOptions o = PodLogOptions.parse(Map.of("follow", "true", "tailLines", "10", "limitBytes", "500",
                "sinceTime", "2024-01-02T15:04:05.5+01:00", "timestamps", "1", "previous", "True"));
        assertEquals(new PodLogOptions(true, 10L, 500L, null, Instant.parse("2024-01-02T14:04:05.5Z"), true, true), o);
        assertEquals(30L, PodLogOptions.parse(Map.of("sinceSeconds", "30")).sinceSeconds());
    }

    @Test
    void booleansAreFalseOnlyForFalseOrZeroAsUpstream() throws Exception {
        assertFalse(PodLogOptions.parse(Map.of("follow", "false")).follow());
        assertFalse(PodLogOptions.parse(Map.of("follow", "0")).follow());
        assertTrue(PodLogOptions.parse(Map.of("follow", "")).follow());
        assertTrue(PodLogOptions.parse(Map.of("follow", "yes")).follow());
    }

    @Test
    void tailIsTheOldNameOfTailLinesAndAllMeansEveryLine() throws Exception {
        assertEquals(5L, PodLogOptions.parse(Map.of("tail", "5")).tailLines());
        assertNull(PodLogOptions.parse(Map.of("tail", "all", "tailLines", "3")).tailLines());
    }

    @Test
    void sinceSecondsIsCountedBackFromNow() throws Exception {
        Instant now = Instant.parse("2024-01-02T15:04:05Z");
        assertEquals(Instant.parse("2024-01-02T15:03:05Z"), PodLogOptions.parse(Map.of("sinceSeconds", "60")).since(now));
        assertNull(PodLogOptions.DEFAULT.since(now));
    }

    @Test
    void malformedValuesAreRefusedNamingTheParameter() {
        assertEquals("Unable to decode query: tailLines: \"ten\" is not an integer", refused(Map.of("tailLines", "ten")));
        assertTrue(refused(Map.of("limitBytes", "1.5")).startsWith("Unable to decode query: limitBytes:"));
        assertTrue(refused(Map.of("sinceSeconds", "")).startsWith("Unable to decode query: sinceSeconds:"));
        assertTrue(refused(Map.of("sinceTime", "yesterday")).startsWith("Unable to decode query: sinceTime: \"yesterday\" is not an RFC 3339 time"));
    }

    @Test
    void invalidValuesAreRefusedAsUpstreamValidates() {
        assertEquals("Invalid request: tailLines: Invalid value: -1: must be greater than or equal to 0",
                refused(Map.of("tailLines", "-1")));
        assertEquals("Invalid request: limitBytes: Invalid value: 0: must be greater than 0", refused(Map.of("limitBytes", "0")));
        assertEquals("Invalid request: sinceSeconds: Invalid value: -5: must be greater than 0", refused(Map.of("sinceSeconds", "-5")));
        assertEquals("Invalid request: Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified",
                refused(Map.of("sinceSeconds", "5", "sinceTime", "2024-01-02T15:04:05Z")));
    }

    private static String refused(Map<String, String> query) {
        return assertThrows(Endpoint.BadRequestException.class, () -> PodLogOptions.parse(query)).getMessage();
    }
}
