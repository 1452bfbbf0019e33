package dev.skiff.cri.streaming;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The error stream's content, as upstream's remotecommand server writes it: a metav1.Status in
 * JSON from protocol v4 on ({@code {"metadata":{},"status":"Success"}}, NonZeroExitCode with the
 * ExitCode cause, or InternalError), and for older protocols the failure's message as text
 * (nothing on success).
 */
final class StatusJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StatusJson() {}

    /** @param attach the text upstream puts before an attach's error differs from an exec's */
    static byte[] render(CommandResult result, boolean json, boolean attach) {
        Map<String, Object> status = status(result, attach);
        if (!json) {
            Object message = status.get("message");
            return message == null ? new byte[0] : message.toString().getBytes(StandardCharsets.UTF_8);
        }
        try {
            return JSON.writeValueAsBytes(status);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode a Status", e);
        }
    }

    static Map<String, Object> status(CommandResult result, boolean attach) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("metadata", Map.of());
        switch (result.kind()) {
            case SUCCESS -> s.put("status", "Success");
            case EXIT_CODE -> {
                s.put("status", "Failure");
                s.put("message", "command terminated with non-zero exit code: " + result.message());
                s.put("reason", "NonZeroExitCode");
                s.put("details", Map.of("causes", List.of(cause("ExitCode", Integer.toString(result.exitCode())))));
            }
            case ERROR -> {
                String err = (attach ? "error attaching to container: " : "error executing command in container: ") + result.message();
                s.put("status", "Failure");
                s.put("message", "Internal error occurred: " + err);
                s.put("reason", "InternalError");
                s.put("details", Map.of("causes", List.of(Map.of("message", err))));
                s.put("code", 500);
            }
        }
        return s;
    }

    private static Map<String, Object> cause(String reason, String message) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("reason", reason);
        c.put("message", message);
        return c;
    }
}
