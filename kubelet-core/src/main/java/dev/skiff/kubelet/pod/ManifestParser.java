package dev.skiff.kubelet.pod;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import org.yaml.snakeyaml.error.MarkedYAMLException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Turns the bytes of one manifest file into typed fabric8 objects, one per non-empty document, each with the
 * 1-based line its document starts on. Errors carry the line Jackson reports.
 *
 * <p>Decoding is lenient about unknown fields, as upstream's kubelet file source is (it decodes with the
 * non-strict universal decoder), but strict about scalar types: like Go's JSON decoder, a number is not a
 * string and a string is not a number ({@code name: 5} or {@code containerPort: "80"} fail).
 */
final class ManifestParser {
    /** A decoded document: the object and the line its root starts on. */
    record Document(HasMetadata object, int line) {}

    private record Kind(String apiVersion, Class<? extends HasMetadata> type) {}

    private static final Map<String, Kind> KINDS = Map.of(
            "Pod", new Kind("v1", Pod.class),
            "ConfigMap", new Kind("v1", ConfigMap.class),
            "Secret", new Kind("v1", Secret.class),
            "PersistentVolume", new Kind("v1", PersistentVolume.class),
            "PersistentVolumeClaim", new Kind("v1", PersistentVolumeClaim.class),
            "StorageClass", new Kind("storage.k8s.io/v1", StorageClass.class));

    private static final ObjectMapper YAML = configure(YAMLMapper.builder(new YAMLFactory()).build());
    private static final ObjectMapper JSON = configure(JsonMapper.builder().build());

    // Jackson names what it found only in the message: "(token `JsonToken.VALUE_NUMBER_INT`)", "from String
    // value" or "Cannot coerce Float value".
    private static final java.util.regex.Pattern TOKEN = java.util.regex.Pattern.compile("JsonToken\\.([A-Z_]+)");
    private static final java.util.regex.Pattern SHAPE = java.util.regex.Pattern.compile(
            "(?:from|coerce) (Integer|Floating-point|Float|Boolean|String|Object|Array) value");

    private static final java.util.regex.Pattern SOURCE = java.util.regex.Pattern.compile("\\[Source: .*?; ");

    private ManifestParser() {}

    private static ObjectMapper configure(ObjectMapper mapper) {
        mapper.disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        mapper.enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
        for (LogicalType t : new LogicalType[] {LogicalType.Integer, LogicalType.Float, LogicalType.Boolean}) {
            mapper.coercionConfigFor(t).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
            mapper.coercionConfigFor(t).setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
        }
        mapper.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        mapper.coercionConfigFor(LogicalType.Boolean).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
        return mapper;
    }

    /** Parses every non-empty document of {@code content}; JSON when it starts with '{', YAML otherwise. */
    static List<Document> parse(Path file, byte[] content) throws ManifestException {
        ObjectMapper mapper = looksLikeJson(content) ? JSON : YAML;
        List<Document> docs = new ArrayList<>();
        int index = 0;
        try (JsonParser p = mapper.createParser(content)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                int line = p.currentTokenLocation().getLineNr();
                int root = index++;
                if (t == JsonToken.VALUE_NULL) {
                    continue; // an empty document ("---" with nothing, or only comments)
                }
                if (t != JsonToken.START_OBJECT) {
                    throw new ManifestException(file, line,
                            "expected an object with apiVersion and kind, got " + describe(t));
                }
                JsonNode node = mapper.readTree(p);
                docs.add(new Document(decode(file, mapper, content, root, node, line), line));
            }
        } catch (JsonProcessingException e) {
            throw syntax(file, e);
        } catch (IOException e) {
            throw new ManifestException(file, 0, "cannot read: " + e.getMessage());
        }
        return docs;
    }

    /** Decodes root value number {@code root} as the type its kind names, re-reading it so errors keep lines. */
    private static HasMetadata decode(Path file, ObjectMapper mapper, byte[] content, int root, JsonNode node,
                                      int line) throws ManifestException, IOException {
        String kind = text(node, "kind");
        String apiVersion = text(node, "apiVersion");
        if (kind == null || kind.isEmpty()) {
            throw new ManifestException(file, line, "missing kind (want one of " + String.join(", ", sortedKinds())
                    + ")");
        }
        Kind known = KINDS.get(kind);
        if (known == null) {
            throw new ManifestException(file, line, "unsupported kind \"" + kind + "\" (want one of "
                    + String.join(", ", sortedKinds()) + ")");
        }
        if (apiVersion == null || apiVersion.isEmpty()) {
            throw new ManifestException(file, line, "missing apiVersion for kind " + kind + " (want "
                    + known.apiVersion() + ")");
        }
        if (!known.apiVersion().equals(apiVersion)) {
            throw new ManifestException(file, line, "unsupported apiVersion \"" + apiVersion + "\" for kind " + kind
                    + " (want " + known.apiVersion() + ")");
        }
        try (JsonParser p = mapper.createParser(content)) {
            for (int i = 0; i < root; i++) {
                p.nextToken();
                p.skipChildren();
            }
            p.nextToken();
            return mapper.readValue(p, known.type());
        } catch (MismatchedInputException e) {
            throw new ManifestException(file, lineOf(e, line), typeError(e));
        } catch (JsonMappingException e) {
            throw new ManifestException(file, lineOf(e, line), pathOf(e) + ": " + e.getOriginalMessage());
        }
    }

    private static List<String> sortedKinds() {
        return KINDS.keySet().stream().sorted().toList();
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    private static boolean looksLikeJson(byte[] content) {
        for (byte b : content) {
            if (b == '{' || b == '[') {
                return true;
            }
            if (!Character.isWhitespace(b) && b != (byte) 0xEF && b != (byte) 0xBB && b != (byte) 0xBF) {
                return false;
            }
        }
        return false;
    }

    private static int lineOf(JsonProcessingException e, int fallback) {
        JsonLocation loc = e.getLocation();
        return loc != null && loc.getLineNr() > 0 ? loc.getLineNr() : fallback;
    }

    private static ManifestException syntax(Path file, JsonProcessingException e) {
        String reason;
        int line = lineOf(e, 0);
        if (e.getCause() instanceof MarkedYAMLException y && y.getProblem() != null) {
            // The problem mark is where SnakeYAML found the fault; Jackson's location is its last good token.
            if (y.getProblemMark() != null) {
                line = y.getProblemMark().getLine() + 1;
            }
            // SnakeYAML's own text spans lines and repeats the snippet; problem + context read better.
            reason = y.getProblem();
            if (y.getContext() != null && y.getContextMark() != null) {
                reason += " (" + y.getContext() + " that starts at line " + (y.getContextMark().getLine() + 1) + ")";
            }
            if (reason.contains("<block")) {
                reason += "; check the indentation";
            }
        } else {
            String msg = e.getOriginalMessage() == null ? String.valueOf(e.getMessage()) : e.getOriginalMessage();
            reason = SOURCE.matcher(msg.lines().findFirst().orElse(msg)).replaceAll("[");
        }
        return new ManifestException(file, line, "syntax error: " + reason);
    }

    private static String typeError(MismatchedInputException e) {
        String got = "a value of the wrong type";
        String msg = String.valueOf(e.getOriginalMessage());
        java.util.regex.Matcher token = TOKEN.matcher(msg);
        java.util.regex.Matcher shape = SHAPE.matcher(msg);
        if (token.find()) {
            got = describe(JsonToken.valueOf(token.group(1)));
        } else if (shape.find()) {
            got = switch (shape.group(1)) {
                case "Integer" -> "an integer";
                case "Floating-point", "Float" -> "a number";
                case "Boolean" -> "a boolean";
                case "Object" -> "an object";
                case "Array" -> "a list";
                default -> "a string";
            };
        }
        return pathOf(e) + ": expected " + expected(e.getTargetType()) + ", got " + got;
    }

    private static String expected(Class<?> type) {
        if (type == null) {
            return "another type";
        }
        if (Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "a list";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "a boolean";
        }
        if (Number.class.isAssignableFrom(type)) {
            return "a number";
        }
        return "an object";
    }

    private static String describe(JsonToken t) {
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "a list";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT -> "an integer";
            case VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.name();
        };
    }

    /** Upstream's field path style: {@code spec.containers[0].ports[1].containerPort}. */
    static String pathOf(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            } else if (r.getFieldName() != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            }
        }
        return sb.isEmpty() ? "<root>" : sb.toString();
    }
}
