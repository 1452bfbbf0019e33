package dev.skiff.kubelet.kuberuntime;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ObjectFieldSelector;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceFieldSelector;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * fieldRef and resourceFieldRef values (upstream podFieldSelectorRuntimeValue,
 * fieldpath.ExtractFieldPathAsString, resource.ExtractContainerResourceValue).
 */
final class DownwardApi {
    private static final Pattern SUBSCRIPT = Pattern.compile("^(metadata\\.(?:labels|annotations))\\['(.*)'\\]$");

    private DownwardApi() {
    }

    static String field(ObjectFieldSelector fs, Pod pod, NodeFacts node, List<String> podIps) throws CreateConfigException {
        String apiVersion = fs.getApiVersion();
        if (apiVersion != null && !apiVersion.isEmpty() && !apiVersion.equals("v1")) {
            throw new CreateConfigException("unsupported pod version: " + apiVersion);
        }
        String path = fs.getFieldPath() == null ? "" : fs.getFieldPath();
        var meta = pod.getMetadata();
        var spec = pod.getSpec();
        switch (path) {
            case "spec.nodeName":
                return nz(spec.getNodeName());
            case "spec.serviceAccountName":
                return nz(spec.getServiceAccountName());
            case "status.hostIP":
                return node.hostIp();
            case "status.hostIPs":
                return String.join(",", node.nodeIps());
            case "status.podIP":
                return podIps.isEmpty() ? "" : podIps.get(0);
            case "status.podIPs":
                return String.join(",", podIps);
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
        throw new CreateConfigException("unsupported fieldPath: " + path);
    }

    /**
     * A resource value in units of the divisor, rounded up. Missing limits read as the node's
     * allocatable (upstream defaultPodLimitsForDownwardAPI); missing requests as 0.
     */
    static String resource(ResourceFieldSelector fs, Pod pod, Container self, NodeFacts node) throws CreateConfigException {
        Container c = self;
        if (fs.getContainerName() != null && !fs.getContainerName().isEmpty()) {
            c = pod.getSpec().getContainers().stream().filter(x -> x.getName().equals(fs.getContainerName())).findFirst()
                    .or(() -> pod.getSpec().getInitContainers() == null ? java.util.Optional.empty()
                            : pod.getSpec().getInitContainers().stream().filter(x -> x.getName().equals(fs.getContainerName())).findFirst())
                    .orElseThrow(() -> new CreateConfigException("container " + fs.getContainerName() + " not found"));
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
                    : BigDecimal.valueOf(node.memoryCapacityBytes()), divisor);
            case "requests.memory" -> bytes(Quantities.amount(requests, "memory"), divisor);
            case "limits.ephemeral-storage" -> bytes(Quantities.amount(limits, "ephemeral-storage"), divisor);
            case "requests.ephemeral-storage" -> bytes(Quantities.amount(requests, "ephemeral-storage"), divisor);
            default -> throw new CreateConfigException("unsupported container resource : " + r);
        };
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
    static String formatMap(Map<String, String> map) {
        if (map == null || map.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        for (var e : new TreeMap<>(map).entrySet()) {
            if (b.length() > 0) {
                b.append('\n');
            }
            b.append(e.getKey()).append('=').append(goQuote(e.getValue()));
        }
        return b.toString();
    }

    static String goQuote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                default -> {
                    if (ch < 0x20 || ch == 0x7f) {
                        b.append(String.format("\\x%02x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
