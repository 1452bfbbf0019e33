package dev.skiff.kubelet.pod;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.NodeEvent;
import org.yaml.snakeyaml.events.ScalarEvent;
import org.yaml.snakeyaml.events.CollectionStartEvent;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds the documents of one file as JSON trees from a parser's token stream, as go-yaml would see them: anchors
 * and aliases resolved (Jackson alone would turn {@code *name} into the string "name"), merge keys ({@code <<})
 * applied, only the core schema's tags allowed. Bounded: nodes per file, nesting depth, aliases per document and the
 * nodes their expansions add ({@link ManifestLimits}); a refusal names the line and the limit. Iterative, so no
 * input can exhaust the stack.
 */
final class ManifestTrees {
    /** One non-empty document: its tree, the line it starts on and its position among the stream's root values. */
    record Document(JsonNode root, int line, int index) {}

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String CORE = "tag:yaml.org,2002:";
    private static final Set<String> SCALAR_TAGS = Set.of(CORE + "str", CORE + "int", CORE + "float", CORE + "bool",
            CORE + "null");
    private static final String MERGE = "<<";
    private static final java.util.regex.Pattern TAG_NAME = java.util.regex.Pattern.compile("[a-z]{1,20}(/[a-z]{1,20})?");
    /** Jackson's default maxNumberLength, which its YAML parser does not apply. */
    private static final int MAX_NUMBER = 1000;

    private ManifestTrees() {}

    /** An anchored node and the number of nodes it stands for. */
    private record Anchored(JsonNode node, long size) {}

    /** A mapping or list being built. */
    private static final class Frame {
        final JsonNode node;
        final String anchor;
        final int line;
        String field;
        boolean mergeKey;
        long size = 1;
        List<JsonNode> merges;

        Frame(JsonNode node, String anchor, int line) {
            this.node = node;
            this.anchor = anchor;
            this.line = line;
        }
    }

    /** Reads every root value of {@code p}; empty documents (null roots) are counted but not returned. */
    static List<Document> read(Path file, JsonParser p, ManifestLimits limits) throws ManifestException, IOException {
        List<Document> docs = new ArrayList<>();
        int index = 0;
        Budget nodes = new Budget(limits.maxNodes());
        while (p.nextToken() != null) {
            int line = line(p);
            JsonNode root = new Builder(file, p, limits, nodes).root();
            if (!root.isNull()) {
                docs.add(new Document(root, line, index));
            }
            index++;
        }
        return docs;
    }

    /** Nodes left for the rest of the file. */
    private static final class Budget {
        final int max;
        int used;

        Budget(int max) {
            this.max = max;
        }
    }

    /** The builder of one document; the parser stands on its first token. */
    private static final class Builder {
        private final Path file;
        private final JsonParser p;
        private final ManifestLimits limits;
        private final EventYamlFactory.EventParser yaml;
        private final Budget nodes;
        private final Map<String, Anchored> anchors = new HashMap<>();
        private final Deque<Frame> stack = new ArrayDeque<>();
        private int aliases;
        private long expansion;

        Builder(Path file, JsonParser p, ManifestLimits limits, Budget nodes) {
            this.file = file;
            this.p = p;
            this.limits = limits;
            this.nodes = nodes;
            this.yaml = p instanceof EventYamlFactory.EventParser y ? y : null;
        }

        JsonNode root() throws ManifestException, IOException {
            JsonToken t = p.currentToken();
            while (true) {
                JsonNode done = null;
                long size = 1;
                if (t != JsonToken.FIELD_NAME && t != JsonToken.END_OBJECT && t != JsonToken.END_ARRAY
                        && ++nodes.used > nodes.max) {
                    throw new ManifestException(file, line(p), "more than " + nodes.max + " values (scalars,"
                            + " mappings and lists) in one file, the limit");
                }
                switch (t) {
                    case START_OBJECT, START_ARRAY -> open(t);
                    case FIELD_NAME -> {
                        Frame f = stack.peek();
                        f.field = p.currentName();
                        f.mergeKey = yaml != null && MERGE.equals(f.field) && yaml.event() instanceof ScalarEvent k
                                && k.getScalarStyle() == DumperOptions.ScalarStyle.PLAIN;
                    }
                    case END_OBJECT, END_ARRAY -> {
                        Frame f = stack.pop();
                        done = close(f);
                        size = f.size;
                    }
                    default -> {
                        if (yaml != null && yaml.event() instanceof AliasEvent alias) {
                            Anchored a = alias(alias.getAnchor());
                            done = a.node();
                            size = a.size();
                        } else {
                            done = scalar(t);
                            anchor(done, 1);
                        }
                    }
                }
                if (done != null) {
                    if (stack.isEmpty()) {
                        return done;
                    }
                    attach(stack.peek(), done, size);
                }
                t = p.nextToken();
                if (t == null) {
                    throw new ManifestException(file, line(p), "the document ends inside a mapping or list");
                }
            }
        }

        private void open(JsonToken t) throws ManifestException, IOException {
            boolean object = t == JsonToken.START_OBJECT;
            checkTag(object ? CORE + "map" : CORE + "seq");
            if (stack.size() >= limits.maxDepth()) {
                throw new ManifestException(file, line(p), "mappings and lists nested more than " + limits.maxDepth()
                        + " deep, the limit");
            }
            String anchor = anchorOf(yaml == null ? null : yaml.event());
            stack.push(new Frame(object ? NODES.objectNode() : NODES.arrayNode(), anchor, line(p)));
        }

        private JsonNode close(Frame f) throws ManifestException {
            if (f.merges != null) {
                merge(f);
            }
            if (f.anchor != null) {
                anchors.put(f.anchor, new Anchored(f.node, f.size));
            }
            return f.node;
        }

        private void attach(Frame parent, JsonNode value, long size) throws ManifestException {
            parent.size += size;
            if (parent.node instanceof ArrayNode list) {
                list.add(value);
            } else if (parent.mergeKey) {
                if (parent.merges == null) {
                    parent.merges = new ArrayList<>();
                }
                parent.merges.add(value);
            } else {
                ((ObjectNode) parent.node).set(parent.field, value);
            }
        }

        /** YAML 1.1 merge keys: the merged mappings' keys, where the mapping does not set them itself. */
        private void merge(Frame f) throws ManifestException {
            ObjectNode target = (ObjectNode) f.node;
            for (JsonNode m : f.merges) {
                List<JsonNode> sources = new ArrayList<>();
                if (m.isObject()) {
                    sources.add(m);
                } else if (m.isArray()) {
                    m.forEach(sources::add);
                }
                if (sources.isEmpty() || !sources.stream().allMatch(JsonNode::isObject)) {
                    throw new ManifestException(file, f.line, "a merge key (<<) needs a mapping or a list of"
                            + " mappings");
                }
                for (JsonNode source : sources) {
                    for (Iterator<Map.Entry<String, JsonNode>> it = source.fields(); it.hasNext(); ) {
                        Map.Entry<String, JsonNode> e = it.next();
                        if (!target.has(e.getKey())) {
                            target.set(e.getKey(), e.getValue());
                        }
                    }
                }
            }
        }

        private Anchored alias(String name) throws ManifestException {
            Anchored a = anchors.get(name);
            if (a == null) {
                throw new ManifestException(file, line(p), "an alias names no anchor defined before it in this"
                        + " document (an alias cannot refer to its own node)");
            }
            if (++aliases > limits.maxAliases()) {
                throw new ManifestException(file, line(p), "more than " + limits.maxAliases()
                        + " aliases in one document, the limit");
            }
            expansion += a.size();
            if (expansion > limits.maxAliasExpansion()) {
                throw new ManifestException(file, line(p), "aliases expand the document by more than "
                        + limits.maxAliasExpansion() + " nodes, the limit");
            }
            return a;
        }

        private static String anchorOf(Event e) {
            return e instanceof NodeEvent n ? n.getAnchor() : null;
        }

        private void anchor(JsonNode node, long size) {
            String anchor = anchorOf(yaml == null ? null : yaml.event());
            if (anchor != null) {
                anchors.put(anchor, new Anchored(node, size));
            }
        }

        private JsonNode scalar(JsonToken t) throws ManifestException, IOException {
            checkTag(null);
            if (t.isNumeric() && p.getTextLength() > MAX_NUMBER) {
                // BigInteger's parse time grows with the square of its digits
                throw new ManifestException(file, line(p), "a number longer than " + MAX_NUMBER + " characters");
            }
            return switch (t) {
                case VALUE_STRING -> NODES.textNode(p.getText());
                case VALUE_NUMBER_INT -> switch (p.getNumberType()) {
                    case INT -> NODES.numberNode(p.getIntValue());
                    case LONG -> NODES.numberNode(p.getLongValue());
                    default -> NODES.numberNode(p.getBigIntegerValue());
                };
                case VALUE_NUMBER_FLOAT -> NODES.numberNode(doubleValue());
                case VALUE_TRUE -> NODES.booleanNode(true);
                case VALUE_FALSE -> NODES.booleanNode(false);
                case VALUE_NULL -> NODES.nullNode();
                default -> throw new ManifestException(file, line(p), "unsupported YAML value (binary or an"
                        + " embedded object)");
            };
        }

        /** YAML's .inf and .nan as well as decimal numbers. */
        private double doubleValue() throws IOException {
            String s = p.getText();
            String lower = s.toLowerCase(java.util.Locale.ROOT);
            if (lower.endsWith(".inf")) {
                return lower.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            }
            if (lower.equals(".nan")) {
                return Double.NaN;
            }
            return p.getDoubleValue();
        }

        /** The core schema's tags only ({@code !!str}, {@code !!int} …, and the collection's own). */
        private void checkTag(String collectionTag) throws ManifestException, IOException {
            Event e = yaml == null ? null : yaml.event();
            String tag = e instanceof ScalarEvent se ? se.getTag() : e instanceof CollectionStartEvent ce ? ce.getTag()
                    : null;
            if (tag == null || tag.equals(collectionTag) || (collectionTag == null && SCALAR_TAGS.contains(tag))) {
                return;
            }
            // name a core-schema tag (!!binary, !!java/object) without what follows a ':'; never a local one
            String name = tag.startsWith(CORE) ? tag.substring(CORE.length()).split(":")[0] : "";
            String shown = TAG_NAME.matcher(name).matches() ? "\"!!" + name + "\"" : "";
            throw new ManifestException(file, line(p), "unsupported YAML tag " + (shown.isEmpty() ? "" : shown + " ")
                    + "(allowed: !!str, !!int, !!float, !!bool, !!null, !!map, !!seq)");
        }
    }

    /**
     * The line of the value at {@code path} in root value number {@code index}, read again from {@code p}; the line
     * of the deepest part of the path found, or {@code fallback}.
     */
    static int lineOf(JsonParser p, int index, List<JsonMappingException.Reference> path, int fallback)
            throws IOException {
        for (int i = 0; i <= index; i++) {
            if (p.nextToken() == null) {
                return fallback;
            }
            if (i < index) {
                p.skipChildren();
            }
        }
        int found = fallback;
        for (JsonMappingException.Reference r : path) {
            if (r.getFieldName() != null && p.currentToken() == JsonToken.START_OBJECT) {
                if (!toField(p, r.getFieldName())) {
                    return found;
                }
            } else if (r.getIndex() >= 0 && p.currentToken() == JsonToken.START_ARRAY) {
                if (!toElement(p, r.getIndex())) {
                    return found;
                }
            } else {
                return found;
            }
            found = line(p);
        }
        return found;
    }

    private static boolean toField(JsonParser p, String name) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            boolean match = name.equals(p.currentName());
            p.nextToken();
            if (match) {
                return true;
            }
            p.skipChildren();
        }
        return false;
    }

    private static boolean toElement(JsonParser p, int index) throws IOException {
        for (int i = 0; ; i++) {
            JsonToken t = p.nextToken();
            if (t == null || t == JsonToken.END_ARRAY) {
                return false;
            }
            if (i == index) {
                return true;
            }
            p.skipChildren();
        }
    }

    static int line(JsonParser p) {
        var loc = p.currentTokenLocation();
        return loc == null ? 0 : Math.max(0, loc.getLineNr());
    }
}
