package dev.skiff.volume.util;

import dev.skiff.volume.NodeResources;
import dev.skiff.volume.VolumeException;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ObjectFieldSelector;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceFieldSelector;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Downward API values, shared by downwardAPI/projected volumes and container env (upstream
 * fieldpath.ExtractFieldPathAsString, resource.ExtractContainerResourceValue, fieldpath.FormatMap). Only the
 * pod-metadata field paths live here: they are the ones a volume may use; env adds spec.* and status.* itself.
 */
public final class DownwardValues {
    private static final Pattern SUBSCRIPT = Pattern.compile("^(metadata\\.(?:labels|annotations))\\['(.*)'\\]$");
    private static final List<String> METADATA_PATHS =
            List.of("metadata.name", "metadata.namespace", "metadata.uid", "metadata.labels", "metadata.annotations");

    private DownwardValues() {
    }

    /** A fieldRef: its apiVersion (empty or v1) checked, then its metadata path resolved. */
    public static String fieldRef(ObjectFieldSelector fs, Pod pod) throws VolumeException {
        checkApiVersion(fs.getApiVersion());
        return metadataField(fs.getFieldPath() == null ? "" : fs.getFieldPath(), pod);
    }

    /** Upstream accepts only v1 field selectors on pods. */
    public static void checkApiVersion(String apiVersion) throws VolumeException {
        if (apiVersion != null && !apiVersion.isEmpty() && !apiVersion.equals("v1")) {
            throw new VolumeException("unsupported pod version: " + apiVersion);
        }
    }

    /** True for the paths a downwardAPI volume may project (upstream validVolumeDownwardAPIFieldPathExpressions). */
    public static boolean isMetadataPath(String path) {
        return path != null && (METADATA_PATHS.contains(path) || SUBSCRIPT.matcher(path).matches());
    }

    /** metadata.name, namespace, uid, labels, annotations, labels['k'], annotations['k'] of the pod. */
    public static String metadataField(String path, Pod pod) throws VolumeException {
        ObjectMeta meta = pod.getMetadata();
        switch (path) {
            case "metadata.name":
                return nz(meta.getName());
            case "metadata.namespace":
                return nz(meta.getNamespace());
            case "metadata.uid":
                return nz(meta.getUid());
            case "metadata.labels":
                return formatMap(meta.getLabels());
            case "metadata.annotations":
                return formatMap(meta.getAnnotations());
            default:
                break;
        }
        Matcher m = SUBSCRIPT.matcher(path);
        if (m.matches()) {
            Map<String, String> map = m.group(1).equals("metadata.labels") ? meta.getLabels() : meta.getAnnotations();
            return map == null ? "" : nz(map.get(m.group(2)));
        }
        throw new VolumeException("unsupported fieldPath: " + path);
    }

    /**
     * A resource value in units of the divisor, rounded up. The container is {@code fs.containerName}, else
     * {@code self} (env: the container being configured; volumes pass null and must name one). Missing limits read
     * as the node's allocatable (upstream MergeContainerResourceLimits); missing requests as 0.
     */
    public static String resourceField(ResourceFieldSelector fs, Pod pod, Container self, NodeResources node)
            throws VolumeException {
        Container c = self;
        String name = fs.getContainerName();
        if (name != null && !name.isEmpty()) {
            c = find(pod.getSpec().getContainers(), name)
                    .or(() -> find(pod.getSpec().getInitContainers(), name))
                    .orElseThrow(() -> new VolumeException("container " + name + " not found"));
        } else if (c == null) {
            throw new VolumeException("resourceFieldRef " + fs.getResource() + ": containerName is required");
        }
        var res = c.getResources();
        Map<String, Quantity> limits = res == null ? null : res.getLimits();
        Map<String, Quantity> requests = res == null ? null : res.getRequests();
        BigDecimal divisor = Quantities.amount(fs.getDivisor());
        if (divisor.signum() == 0) {
            divisor = BigDecimal.ONE;
        }
        String r = fs.getResource() == null ? "" : fs.getResource();
        return switch (r) {
            case "limits.cpu" -> cpu(Quantities.present(limits, "cpu") ? Quantities.amount(limits, "cpu")
                    : BigDecimal.valueOf(node.allocatableMilliCpu()).movePointLeft(3), divisor);
            case "requests.cpu" -> cpu(Quantities.amount(requests, "cpu"), divisor);
            case "limits.memory" -> bytes(Quantities.present(limits, "memory") ? Quantities.amount(limits, "memory")
                    : BigDecimal.valueOf(node.allocatableMemoryBytes()), divisor);
            case "requests.memory" -> bytes(Quantities.amount(requests, "memory"), divisor);
            case "limits.ephemeral-storage" -> bytes(Quantities.amount(limits, "ephemeral-storage"), divisor);
            case "requests.ephemeral-storage" -> bytes(Quantities.amount(requests, "ephemeral-storage"), divisor);
            default -> throw new VolumeException("unsupported container resource : " + r);
        };
    }

    private static Optional<Container> find(List<Container> containers, String name) {
        return containers == null ? Optional.empty()
                : containers.stream().filter(x -> name.equals(x.getName())).findFirst();
    }

    /** ceil(milli(cpu) / milli(divisor)), as convertResourceCPUToString. */
    private static String cpu(BigDecimal cpu, BigDecimal divisor) {
        long num = Quantities.milliValue(cpu);
        long den = Quantities.milliValue(divisor);
        return Long.toString((long) Math.ceil((double) num / (double) den));
    }

    /** ceil(value(bytes) / value(divisor)), as convertResourceMemoryToString. */
    private static String bytes(BigDecimal amount, BigDecimal divisor) {
        long num = Quantities.value(amount);
        long den = Quantities.value(divisor);
        return BigDecimal.valueOf(num).divide(BigDecimal.valueOf(den), 0, RoundingMode.CEILING).toPlainString();
    }

    /** Upstream FormatMap: sorted {@code key="value"} lines (Go %q quoting), no trailing newline. */
    public static String formatMap(Map<String, String> map) {
        if (map == null || map.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        for (var e : new TreeMap<>(map).entrySet()) {
            if (b.length() > 0) {
                b.append('\n');
            }
            b.append(e.getKey()).append('=').append(goQuote(nz(e.getValue())));
        }
        return b.toString();
    }

    /** Go's strconv.Quote: printable characters as they are, the rest escaped. */
    public static String goQuote(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().forEach(cp -> {
            switch (cp) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case 0x07 -> b.append("\\a");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case 0x0b -> b.append("\\v");
                default -> {
                    if (isGoPrintable(cp)) {
                        b.appendCodePoint(cp);
                    } else if (cp < 0x80) {
                        b.append(String.format("\\x%02x", cp));
                    } else if (cp < 0x10000) {
                        b.append(String.format("\\u%04x", cp));
                    } else {
                        b.append(String.format("\\U%08x", cp));
                    }
                }
            }
        });
        return b.append('"').toString();
    }

    /** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
    private static boolean isGoPrintable(int cp) {
        if (cp == ' ') {
            return true;
        }
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                    Character.MODIFIER_LETTER, Character.OTHER_LETTER,
                    Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK,
                    Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER,
                    Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                    Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                    Character.OTHER_PUNCTUATION,
                    Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL ->
                    true;
            default -> false;
        };
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
