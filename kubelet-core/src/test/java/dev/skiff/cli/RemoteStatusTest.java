package dev.skiff.cli;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RemoteStatusTest {
    private static RemoteStatus parse(String s) {
        return RemoteStatus.parse(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void successOrNothingIsExitZero() {
        assertEquals(new RemoteStatus(Optional.of(0), Optional.empty()), parse(""));
        assertEquals(new RemoteStatus(Optional.of(0), Optional.empty()), parse("{\"metadata\":{},\"status\":\"Success\"}"));
    }

    @Test
    void nonZeroExitCodeCarriesTheCode() {
        String status = "{\"metadata\":{},\"status\":\"Failure\",\"message\":\"command terminated with non-zero exit code: "
                + "error executing command [sh -c exit 3], exit code 3\",\"reason\":\"NonZeroExitCode\",\"details\":"
                + "{\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"3\"}]}}";
        assertEquals(new RemoteStatus(Optional.of(3), Optional.empty()), parse(status));
    }

    @Test
    void anyOtherFailureIsItsMessageAndPreV4TextIsTheError() {
        assertEquals(new RemoteStatus(Optional.empty(), Optional.of("OCI runtime exec failed: exec: \"nope\": not found")),
                parse("{\"status\":\"Failure\",\"message\":\"OCI runtime exec failed: exec: \\\"nope\\\": not found\"}"));
        assertEquals(new RemoteStatus(Optional.empty(), Optional.of("container not running")), parse("container not running\n"));
    }
}
