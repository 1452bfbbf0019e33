package dev.skiff.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * What the error stream of a remote command said, as kubectl reads it: nothing or a {@code Success} Status is exit
 * 0; a {@code Failure} with reason {@code NonZeroExitCode} carries the exit code in a cause {@code ExitCode}; any
 * other Status (or, before v4, plain text) is an error message.
 *
 * @param exitCode the command's exit code, when it ran
 * @param error    what went wrong otherwise
 */
record RemoteStatus(Optional<Integer> exitCode, Optional<String> error) {
    private static final ObjectMapper JSON = new ObjectMapper();

    static RemoteStatus parse(byte[] errorStream) {
        String text = new String(errorStream, StandardCharsets.UTF_8).strip();
        if (text.isEmpty()) {
            return new RemoteStatus(Optional.of(0), Optional.empty());
        }
        if (!text.startsWith("{")) {
            return new RemoteStatus(Optional.empty(), Optional.of(text));
        }
        JsonNode status;
        try {
            status = JSON.readTree(text);
        } catch (java.io.IOException e) {
            return new RemoteStatus(Optional.empty(), Optional.of("error stream is not a Status: " + text));
        }
        if ("Success".equals(status.path("status").asText())) {
            return new RemoteStatus(Optional.of(0), Optional.empty());
        }
        if ("NonZeroExitCode".equals(status.path("reason").asText())) {
            for (JsonNode cause : status.path("details").path("causes")) {
                if ("ExitCode".equals(cause.path("reason").asText())) {
                    try {
                        return new RemoteStatus(Optional.of(Integer.parseInt(cause.path("message").asText())), Optional.empty());
                    } catch (NumberFormatException e) {
                        break;
                    }
                }
            }
        }
        String message = status.path("message").asText();
        return new RemoteStatus(Optional.empty(), Optional.of(message.isEmpty() ? text : message));
    }
}
