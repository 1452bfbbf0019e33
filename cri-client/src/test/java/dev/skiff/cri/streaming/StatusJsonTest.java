package dev.skiff.cri.streaming;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/** The error stream's texts, byte for byte as upstream's remotecommand server writes them. */
class StatusJsonTest {
    private static String render(CommandResult r, boolean json, boolean attach) {
        return new String(StatusJson.render(r, json, attach), StandardCharsets.UTF_8);
    }

    @Test
    void v4AndLaterCarryAStatus() {
        assertEquals("{\"metadata\":{},\"status\":\"Success\"}", render(CommandResult.success(), true, false));
        assertEquals("{\"metadata\":{},\"status\":\"Failure\",\"message\":\"command terminated with non-zero exit code: "
                        + "Error executing in Docker Container: 3\",\"reason\":\"NonZeroExitCode\",\"details\":{\"causes\":"
                        + "[{\"reason\":\"ExitCode\",\"message\":\"3\"}]}}",
                render(CommandResult.exited(3, "Error executing in Docker Container: 3"), true, false));
        assertEquals("{\"metadata\":{},\"status\":\"Failure\",\"message\":\"Internal error occurred: error attaching to container: "
                        + "container x not found\",\"reason\":\"InternalError\",\"details\":{\"causes\":[{\"message\":"
                        + "\"error attaching to container: container x not found\"}]},\"code\":500}",
                render(CommandResult.error("container x not found"), true, true));
        assertEquals(CommandResult.success(), CommandResult.exited(0, "ignored"));
    }

    @Test
    void olderVersionsCarryTheFailuresTextOnly() {
        assertEquals("", render(CommandResult.success(), false, false));
        assertEquals("command terminated with non-zero exit code: Error executing in Docker Container: 1",
                render(CommandResult.exited(1, "Error executing in Docker Container: 1"), false, false));
    }
}
