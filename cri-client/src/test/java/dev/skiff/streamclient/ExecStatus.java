package dev.skiff.streamclient;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;

/**
 * What the server wrote on the error stream, read as client-go reads it. For v4 and v5 that is a
 * {@code metav1.Status} in JSON: {@code Success}, or {@code Failure} with reason
 * {@code NonZeroExitCode} and the code in {@code details.causes[reason=ExitCode].message}. Older
 * protocols send a plain error text. An empty error stream means success (client-go: nil error).
 *
 * @param status   {@code Success} or {@code Failure}
 * @param reason   the Status reason ({@code NonZeroExitCode}, …), empty when none
 * @param message  the Status message or the plain error text
 * @param exitCode 0 on success, the code of a {@code NonZeroExitCode} failure, else null
 * @param raw      exactly what the error stream carried
 */
public record ExecStatus(String status, String reason, String message, Integer exitCode, String raw) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public boolean success() {
        return "Success".equals(status);
    }

    static ExecStatus parse(String protocol, byte[] bytes) throws ProtocolException {
        String raw = new String(bytes, StandardCharsets.UTF_8);
        if (raw.isEmpty()) {
            return new ExecStatus("Success", "", "", 0, raw);
        }
        if (!protocol.startsWith("v4.") && !protocol.startsWith("v5.")) {
            return new ExecStatus("Failure", "", raw, null, raw);
        }
        JsonNode s;
        try {
            s = JSON.readTree(raw);
        } catch (IOException e) {
            throw new ProtocolException("error stream of " + protocol + " does not hold a Status in JSON: " + raw);
        }
        String status = s.path("status").asText("");
        String reason = s.path("reason").asText("");
        String message = s.path("message").asText("");
        if ("Success".equals(status)) {
            return new ExecStatus(status, reason, message, 0, raw);
        }
        if (!"Failure".equals(status)) {
            throw new ProtocolException("Status on the error stream is neither Success nor Failure: " + raw);
        }
        Integer code = null;
        if ("NonZeroExitCode".equals(reason)) {
            for (JsonNode cause : s.path("details").path("causes")) {
                if ("ExitCode".equals(cause.path("reason").asText())) {
                    try {
                        code = Integer.parseInt(cause.path("message").asText());
                    } catch (NumberFormatException e) {
                        throw new ProtocolException("ExitCode cause is not a number: " + raw);
                    }
                }
            }
            if (code == null) {
                throw new ProtocolException("NonZeroExitCode without an ExitCode cause: " + raw);
            }
        }
        return new ExecStatus(status, reason, message, code, raw);
    }
}
