package dev.skiff.kubelet.pod;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * A model object as canonical JSON bytes: keys sorted at every level, nulls, empty lists and empty objects left
 * out. Dropping empties makes the bytes independent of how a model library version happens to serialize
 * "nothing" ({@code []} vs absent), so hashes over it survive upgrades of Skiff and fabric8.
 */
final class CanonicalJson {
    private static final ObjectMapper MAPPER = JsonMapper.builder().build();

    private CanonicalJson() {}

    static byte[] bytes(Object value) {
        JsonNode tree = MAPPER.valueToTree(value);
        JsonNode canonical = canonical(tree);
        try {
            return MAPPER.writeValueAsString(canonical == null ? JsonNodeFactory.instance.objectNode() : canonical)
                    .getBytes(StandardCharsets.UTF_8);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
        }
    }

    /** The canonical form of {@code node}, or null when it is null or empty. */
    private static JsonNode canonical(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (node.isObject()) {
            List<String> names = new ArrayList<>();
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                names.add(it.next());
            }
            Collections.sort(names);
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            for (String name : names) {
                JsonNode v = canonical(node.get(name));
                if (v != null) {
                    out.set(name, v);
                }
            }
            return out.isEmpty() ? null : out;
        }
        if (node.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            for (JsonNode e : node) {
                JsonNode v = canonical(e);
                // Keep positions stable: an empty element stays as {} rather than vanishing.
                out.add(v == null ? JsonNodeFactory.instance.objectNode() : v);
            }
            return out.isEmpty() ? null : out;
        }
        return node;
    }
}
