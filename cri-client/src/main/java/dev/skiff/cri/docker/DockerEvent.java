package dev.skiff.cri.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * One message of Docker's {@code GET /events}: what happened to which object. The index only takes the type,
 * action and id from it (and the labels, to tell pod objects), then asks Docker for the object itself.
 *
 * @param action the action's first word: {@code exec_start: sh -c …} is {@code exec_start}
 */
record DockerEvent(String type, String action, String id, Map<String, String> attributes) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Parses one JSON line of the stream; IOException when it is not an event. */
    static DockerEvent parse(String line) throws IOException {
        JsonNode n = JSON.readTree(line);
        if (n == null || !n.isObject()) {
            throw new IOException("Docker event is not a JSON object");
        }
        String action = n.path("Action").asText(n.path("status").asText(""));
        int colon = action.indexOf(':');
        if (colon >= 0) {
            action = action.substring(0, colon);
        }
        JsonNode actor = n.path("Actor");
        Map<String, String> attributes = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = actor.path("Attributes").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            attributes.put(e.getKey(), e.getValue().asText());
        }
        return new DockerEvent(n.path("Type").asText(""), action.trim(), actor.path("ID").asText(n.path("id").asText("")), attributes);
    }
}
