package dev.skiff.kubelet.pod;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.InputCoercionException;
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
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.MarkedYAMLException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Turns the bytes of one manifest file into typed fabric8 objects, one per non-empty document, each with the
 * 1-based line its document starts on. The text is checked first ({@link ManifestText}: encoding, control
 * characters, YAML line length), then read into trees within {@link ManifestLimits} ({@link ManifestTrees}), then
 * each tree is decoded; a decoding error is placed on its line by reading the document once more. Messages never
 * quote the file ({@link SafeText}).
 *
 * <p>Decoding is lenient about unknown fields, as upstream's kubelet file source is (it decodes with the
 * non-strict universal decoder), but strict about scalar types: like Go's JSON decoder, a number is not a
 * string, a string is not a number and a fraction is no integer ({@code name: 5}, {@code containerPort: "80"} or
 * {@code terminationGracePeriodSeconds: 2.5} fail).
 */
final class ManifestParser {
    /** A decoded document: the object and the line its root starts on. */
    record Document(HasMetadata object, int line) {}

    private record Kind(String apiVersion, Class<? extends HasMetadata> type) {}

    private static final Map<String, Kind> KINDS = Map.ofEntries(
            Map.entry("Pod", new Kind("v1", Pod.class)),
            Map.entry("ConfigMap", new Kind("v1", ConfigMap.class)),
            Map.entry("Secret", new Kind("v1", Secret.class)),
            Map.entry("PersistentVolume", new Kind("v1", PersistentVolume.class)),
            Map.entry("PersistentVolumeClaim", new Kind("v1", PersistentVolumeClaim.class)),
            Map.entry("StorageClass", new Kind("storage.k8s.io/v1", StorageClass.class)),
            Map.entry("Service", new Kind("v1", Service.class)),
            Map.entry("StatefulSet", new Kind("apps/v1", StatefulSet.class)),
            Map.entry("Deployment", new Kind("apps/v1", Deployment.class)),
            Map.entry("DaemonSet", new Kind("apps/v1", DaemonSet.class)),
            Map.entry("Job", new Kind("batch/v1", Job.class)));

    private static final ObjectMapper DECODER = configure(JsonMapper.builder().build());

    // Jackson names what it found only in the message: "(token `JsonToken.VALUE_NUMBER_INT`)", "from String
    // value" or "Cannot coerce Float value".
    private static final java.util.regex.Pattern TOKEN = java.util.regex.Pattern.compile("JsonToken\\.([A-Z_]+)");
    private static final java.util.regex.Pattern SHAPE = java.util.regex.Pattern.compile(
            "(?:from|coerce) (Integer|Floating-point|Float|Boolean|String|Object|Array) value");

    private final ManifestLimits limits;
    private final EventYamlFactory yaml;
    private final JsonFactory json;

    ManifestParser(ManifestLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
        // The trees are bounded by ManifestTrees; these bound the parsers beneath (a document is at most the file).
        int chars = (int) Math.min(Integer.MAX_VALUE - 1, limits.maxBytes());
        StreamReadConstraints constraints = StreamReadConstraints.builder()
                .maxNestingDepth(limits.maxDepth() + 1)
                .maxStringLength(Math.max(chars, StreamReadConstraints.DEFAULT_MAX_STRING_LEN / 1000))
                .maxDocumentLength(limits.maxBytes() * 4)
                .build();
        LoaderOptions loader = new LoaderOptions();
        loader.setCodePointLimit(chars + 1);
        loader.setNestingDepthLimit(limits.maxDepth() + 1);
        this.yaml = new EventYamlFactory(new YAMLFactory().rebuild().loaderOptions(loader)
                .streamReadConstraints(constraints));
        this.json = JsonFactory.builder().streamReadConstraints(constraints).build();
    }

    private static ObjectMapper configure(ObjectMapper mapper) {
        mapper.disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        mapper.enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
        for (LogicalType t : new LogicalType[] {LogicalType.Integer, LogicalType.Float, LogicalType.Boolean}) {
            mapper.coercionConfigFor(t).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
            mapper.coercionConfigFor(t).setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
        }
        mapper.coercionConfigFor(LogicalType.Integer).setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
        mapper.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        mapper.coercionConfigFor(LogicalType.Boolean).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
        return mapper;
    }

    /** Parses every non-empty document of {@code content}: JSON when it starts with '{' or '[', YAML otherwise. */
    List<Document> parse(Path file, byte[] content) throws ManifestException {
        if (content.length > limits.maxBytes()) {
            throw new ManifestException(file, 0, "the file is " + ManifestLimits.describeBytes(content.length)
                    + ", over the limit of " + ManifestLimits.describeBytes(limits.maxBytes()));
        }
        ManifestText.Decoded text = ManifestText.decode(file, content, limits);
        JsonFactory factory = text.json() ? json : yaml;
        List<ManifestTrees.Document> trees;
        try (JsonParser p = factory.createParser(text.utf8())) {
            trees = ManifestTrees.read(file, p, limits);
        } catch (JsonProcessingException e) {
            throw syntax(file, e);
        } catch (IOException e) {
            throw new ManifestException(file, 0, "cannot read: " + SafeText.parserMessage(e.getMessage()));
        } catch (RuntimeException e) {
            // SnakeYAML's own limits and reader errors arrive unwrapped
            throw new ManifestException(file, 0, "syntax error: " + SafeText.parserMessage(e.getMessage()));
        }
        List<Document> docs = new ArrayList<>();
        for (ManifestTrees.Document t : trees) {
            if (!t.root().isObject()) {
                throw new ManifestException(file, t.line(), "expected an object with apiVersion and kind, got "
                        + describe(t.root()));
            }
            docs.add(new Document(decode(file, factory, text.utf8(), t), t.line()));
        }
        return docs;
    }

    /** Decodes one tree as the type its kind names; an error is placed on its line by reading the text again. */
    private static HasMetadata decode(Path file, JsonFactory factory, byte[] content, ManifestTrees.Document doc)
            throws ManifestException {
        JsonNode node = doc.root();
        int line = doc.line();
        String kind = text(node, "kind");
        String apiVersion = text(node, "apiVersion");
        if (kind == null || kind.isEmpty()) {
            throw new ManifestException(file, line, "missing kind (want one of " + String.join(", ", sortedKinds())
                    + ")");
        }
        Kind known = KINDS.get(kind);
        if (known == null) {
            throw new ManifestException(file, line, "unsupported kind " + SafeText.kind(kind) + "(want one of "
                    + String.join(", ", sortedKinds()) + ")");
        }
        if (apiVersion == null || apiVersion.isEmpty()) {
            throw new ManifestException(file, line, "missing apiVersion for kind " + kind + " (want "
                    + known.apiVersion() + ")");
        }
        if (!known.apiVersion().equals(apiVersion)) {
            throw new ManifestException(file, line, "unsupported apiVersion " + SafeText.apiVersion(apiVersion)
                    + "for kind " + kind + " (want " + known.apiVersion() + ")");
        }
        try {
            return DECODER.treeToValue(node, known.type());
        } catch (MismatchedInputException e) {
            throw new ManifestException(file, lineOf(factory, content, doc, e), typeError(e));
        } catch (JsonMappingException e) {
            String why = e.getCause() instanceof InputCoercionException ? "out of range: " + rangeOf(e)
                    : SafeText.parserMessage(e.getOriginalMessage());
            throw new ManifestException(file, lineOf(factory, content, doc, e), pathOf(e) + ": " + why);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new ManifestException(file, line, "cannot decode the " + kind + ": "
                    + SafeText.parserMessage(e.getMessage()));
        }
    }

    private static String rangeOf(JsonMappingException e) {
        Class<?> target = e.getCause() instanceof InputCoercionException c ? c.getTargetType() : null;
        if (target == Integer.class || target == int.class) {
            return "want an int32";
        }
        if (target == Long.class || target == long.class) {
            return "want an int64";
        }
        return "the number does not fit";
    }

    private static int lineOf(JsonFactory factory, byte[] content, ManifestTrees.Document doc,
                              JsonMappingException e) {
        try (JsonParser p = factory.createParser(content)) {
            return ManifestTrees.lineOf(p, doc.index(), e.getPath(), doc.line());
        } catch (IOException | RuntimeException again) {
            return doc.line();
        }
    }

    private static List<String> sortedKinds() {
        return KINDS.keySet().stream().sorted().toList();
    }

    private static String describe(JsonNode n) {
        return switch (n.getNodeType()) {
            case ARRAY -> "a list";
            case STRING -> "a string";
            case NUMBER -> n.isIntegralNumber() ? "an integer" : "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> "a " + n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    private static ManifestException syntax(Path file, JsonProcessingException e) {
        String reason;
        JsonLocation loc = e.getLocation();
        int line = loc != null && loc.getLineNr() > 0 ? loc.getLineNr() : 0;
        if (e.getCause() instanceof MarkedYAMLException y && y.getProblem() != null) {
            // The problem mark is where SnakeYAML found the fault; Jackson's location is its last good token.
            if (y.getProblemMark() != null) {
                line = y.getProblemMark().getLine() + 1;
            }
            // SnakeYAML's own text spans lines and repeats the snippet; problem + context read better.
            reason = SafeText.parserMessage(y.getProblem());
            if (y.getContext() != null && y.getContextMark() != null) {
                reason += " (" + SafeText.parserMessage(y.getContext()) + " that starts at line "
                        + (y.getContextMark().getLine() + 1) + ")";
            }
            if (reason.contains("<block")) {
                reason += "; check the indentation";
            }
        } else {
            reason = SafeText.parserMessage(e.getOriginalMessage() == null ? e.getMessage() : e.getOriginalMessage());
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
