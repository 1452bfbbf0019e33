package dev.skiff.kubelet.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * Reads a KubeletConfiguration file (YAML or JSON): {@code apiVersion: kubelet.config.k8s.io/v1beta1} and
 * {@code kind: KubeletConfiguration} are required; the fields of {@link KubeletConfiguration} are decoded with Go's
 * type rules (a number is not a string, durations are Go duration strings); absent or null fields keep their
 * defaults, and like upstream's v1beta1 defaulting a zero value of a non-pointer field ({@code maxPods: 0},
 * {@code port: 0}, {@code syncFrequency: 0s}, {@code address: ""} ...) also means "default".
 *
 * <p>A field that is not a KubeletConfiguration field at all is an error naming it, its line and the nearest known
 * field. A real upstream field that Skiff does not implement (authentication, evictionHard, featureGates, ...) is
 * accepted so an upstream file still loads, and reported in {@link Loaded#ignoredFields()} and the log.
 *
 * <p>Relative paths in staticPodPath and resolvConf are resolved against the file's directory, as upstream does
 * for its path fields (podLogsDir is not one of them: it must be absolute).
 */
public final class KubeletConfigurationLoader {
    private static final Logger log = LoggerFactory.getLogger(KubeletConfigurationLoader.class);
    private static final ObjectMapper YAML = YAMLMapper.builder(new YAMLFactory()).build();

    /** A field of the file that Skiff accepted but does not act on. */
    public record IgnoredField(String name, int line) {}

    /** The decoded file. */
    public record Loaded(Path file, KubeletConfiguration configuration, List<IgnoredField> ignoredFields) {
        public Loaded {
            ignoredFields = List.copyOf(ignoredFields);
        }
    }

    @FunctionalInterface
    private interface FieldDecoder {
        void decode(Value v, KubeletConfiguration.Builder b) throws ConfigException;
    }

    private static final Map<String, FieldDecoder> SUPPORTED = supported();

    /** Every top-level field of upstream's v1beta1 KubeletConfiguration (types.go), besides apiVersion and kind. */
    static final Set<String> UPSTREAM_FIELDS = Set.of(
            "enableServer", "staticPodPath", "podLogsDir", "syncFrequency", "fileCheckFrequency",
            "httpCheckFrequency", "staticPodURL", "staticPodURLHeader", "address", "port", "readOnlyPort",
            "tlsCertFile", "tlsPrivateKeyFile", "tlsCipherSuites", "tlsCurvePreferences", "tlsMinVersion",
            "rotateCertificates", "serverTLSBootstrap", "authentication", "authorization", "registryPullQPS",
            "registryBurst", "imagePullCredentialsVerificationPolicy", "preloadedImagesVerificationAllowlist",
            "eventRecordQPS", "eventBurst", "enableDebuggingHandlers", "enableContentionProfiling", "healthzPort",
            "healthzBindAddress", "oomScoreAdj", "clusterDomain", "clusterDNS", "streamingConnectionIdleTimeout",
            "nodeStatusUpdateFrequency", "nodeStatusReportFrequency", "nodeLeaseDurationSeconds",
            "imageMinimumGCAge", "imageMaximumGCAge", "imageGCHighThresholdPercent", "imageGCLowThresholdPercent",
            "volumeStatsAggPeriod", "kubeletCgroups", "systemCgroups", "cgroupRoot", "cgroupsPerQOS",
            "cgroupDriver", "cpuManagerPolicy", "singleProcessOOMKill", "cpuManagerPolicyOptions",
            "cpuManagerReconcilePeriod", "draManagerReconcilePeriod", "memoryManagerPolicy",
            "topologyManagerPolicy", "topologyManagerScope", "topologyManagerPolicyOptions", "qosReserved",
            "runtimeRequestTimeout", "hairpinMode", "maxPods", "podCIDR", "podPidsLimit", "resolvConf", "runOnce",
            "cpuCFSQuota", "cpuCFSQuotaPeriod", "nodeStatusMaxImages", "maxOpenFiles", "contentType", "kubeAPIQPS",
            "kubeAPIBurst", "serializeImagePulls", "maxParallelImagePulls", "evictionHard", "evictionSoft",
            "evictionSoftGracePeriod", "evictionPressureTransitionPeriod", "evictionMaxPodGracePeriod",
            "evictionMinimumReclaim", "mergeDefaultEvictionSettings", "podsPerCore", "enableControllerAttachDetach",
            "protectKernelDefaults", "makeIPTablesUtilChains", "iptablesMasqueradeBit", "iptablesDropBit",
            "featureGates", "failSwapOn", "memorySwap", "containerLogMaxSize", "containerLogMaxFiles",
            "containerLogMaxWorkers", "containerLogMonitorInterval", "configMapAndSecretChangeDetectionStrategy",
            "systemReserved", "kubeReserved", "reservedSystemCPUs", "showHiddenMetricsForVersion",
            "systemReservedCgroup", "kubeReservedCgroup", "enforceNodeAllocatable", "allowedUnsafeSysctls",
            "volumePluginDir", "providerID", "kernelMemcgNotification", "logging", "enableSystemLogHandler",
            "enableSystemLogQuery", "shutdownGracePeriod", "shutdownGracePeriodCriticalPods",
            "shutdownGracePeriodByPodPriority", "crashLoopBackOff", "reservedMemory", "enableProfilingHandler",
            "enableDebugFlagsHandler", "seccompDefault", "memoryThrottlingFactor", "memoryReservationPolicy",
            "registerWithTaints", "registerNode", "tracing", "localStorageCapacityIsolation",
            "containerRuntimeEndpoint", "imageServiceEndpoint", "failCgroupV1", "userNamespaces");

    /** The fields Skiff acts on. */
    public static Set<String> supportedFields() {
        return SUPPORTED.keySet();
    }

    /** Reads and decodes {@code file}. */
    public Loaded load(Path file) throws ConfigException {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ConfigException(file, 0, "cannot read the kubelet config file: " + e);
        }
        Loaded loaded = parse(file, content);
        for (IgnoredField f : loaded.ignoredFields()) {
            log.warn("{}:{}: field \"{}\" is not implemented by skiff; ignored", file, f.line(), f.name());
        }
        return loaded;
    }

    /** Decodes {@code content}, read from {@code file} (which names errors and anchors relative paths). */
    public Loaded parse(Path file, byte[] content) throws ConfigException {
        Map<String, Value> fields = readFields(file, content);
        checkTypeMeta(file, fields);
        KubeletConfiguration.Builder b = new KubeletConfiguration.Builder();
        List<IgnoredField> ignored = new ArrayList<>();
        for (Value v : fields.values()) {
            String name = v.name;
            if (name.equals("apiVersion") || name.equals("kind")) {
                continue;
            }
            FieldDecoder decoder = SUPPORTED.get(name);
            if (decoder != null) {
                if (!v.node.isNull()) {
                    decoder.decode(v, b);
                }
            } else if (UPSTREAM_FIELDS.contains(name)) {
                ignored.add(new IgnoredField(name, v.line));
            } else {
                Set<String> known = new LinkedHashSet<>(SUPPORTED.keySet());
                known.addAll(UPSTREAM_FIELDS.stream().sorted().toList());
                known.add("apiVersion");
                known.add("kind");
                String hint = Suggestions.nearest(name, known).map(s -> " (did you mean \"" + s + "\"?)").orElse("");
                throw new ConfigException(file, v.line, "unknown field \"" + name + "\"" + hint);
            }
        }
        resolveRelativePaths(file, b);
        return new Loaded(file, b.build(), ignored);
    }

    private static void checkTypeMeta(Path file, Map<String, Value> fields) throws ConfigException {
        Value apiVersion = fields.get("apiVersion");
        Value kind = fields.get("kind");
        int firstLine = fields.values().stream().mapToInt(v -> v.line).min().orElse(0);
        if (apiVersion == null || apiVersion.node.isNull()) {
            throw new ConfigException(file, firstLine, "missing apiVersion (want \""
                    + KubeletConfiguration.API_VERSION + "\")");
        }
        if (kind == null || kind.node.isNull()) {
            throw new ConfigException(file, firstLine, "missing kind (want \"" + KubeletConfiguration.KIND + "\")");
        }
        String av = apiVersion.string();
        if (!av.equals(KubeletConfiguration.API_VERSION)) {
            throw new ConfigException(file, apiVersion.line, "unsupported apiVersion \"" + av + "\" (want \""
                    + KubeletConfiguration.API_VERSION + "\")");
        }
        String k = kind.string();
        if (!k.equals(KubeletConfiguration.KIND)) {
            throw new ConfigException(file, kind.line, "unsupported kind \"" + k + "\" (want \""
                    + KubeletConfiguration.KIND + "\")");
        }
    }

    /** The top-level fields of the single document, in order, each with its line; duplicates are errors. */
    private static Map<String, Value> readFields(Path file, byte[] content) throws ConfigException {
        Map<String, Value> fields = new LinkedHashMap<>();
        try (JsonParser p = YAML.createParser(content)) {
            JsonToken t = p.nextToken();
            if (t == null || t == JsonToken.VALUE_NULL) {
                throw new ConfigException(file, 0, "the kubelet config file is empty (want apiVersion \""
                        + KubeletConfiguration.API_VERSION + "\" and kind \"" + KubeletConfiguration.KIND + "\")");
            }
            if (t != JsonToken.START_OBJECT) {
                throw new ConfigException(file, line(p), "expected a KubeletConfiguration object, got "
                        + Value.describe(YAML.readTree(p)));
            }
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                int keyLine = line(p);
                p.nextToken();
                JsonNode node = p.readValueAsTree();
                if (node == null) {
                    node = YAML.nullNode();
                }
                if (fields.containsKey(name)) {
                    throw new ConfigException(file, keyLine, "duplicate field \"" + name + "\" (first on line "
                            + fields.get(name).line + ")");
                }
                fields.put(name, new Value(file, name, keyLine, node));
            }
            if (p.nextToken() != null) {
                throw new ConfigException(file, line(p), "the kubelet config file must hold one document");
            }
        } catch (JsonProcessingException e) {
            throw syntax(file, e);
        } catch (IOException e) {
            throw new ConfigException(file, 0, "cannot read the kubelet config file: " + e);
        }
        return fields;
    }

    private static int line(JsonParser p) {
        JsonLocation loc = p.currentTokenLocation();
        return loc != null ? Math.max(0, loc.getLineNr()) : 0;
    }

    private static ConfigException syntax(Path file, JsonProcessingException e) {
        String msg = e.getOriginalMessage() != null ? e.getOriginalMessage() : String.valueOf(e.getMessage());
        String reason = msg.lines().map(String::strip).filter(s -> !s.isEmpty() && !s.startsWith("^")
                        && !s.startsWith("in 'reader'") && !s.startsWith("at [Source"))
                .limit(2).reduce((a, b) -> a + ": " + b).orElse(msg);
        JsonLocation loc = e.getLocation();
        return new ConfigException(file, loc != null ? Math.max(0, loc.getLineNr()) : 0, "syntax error: " + reason);
    }

    /** Upstream's KubeletConfigurationPathRefs, restricted to the path fields Skiff has. */
    private static void resolveRelativePaths(Path file, KubeletConfiguration.Builder b) {
        Path dir = file.toAbsolutePath().getParent();
        b.staticPodPath(resolve(dir, b.staticPodPath));
        b.resolvConf(resolve(dir, b.resolvConf));
        b.tlsCertFile(resolve(dir, b.tlsCertFile));
        b.tlsPrivateKeyFile(resolve(dir, b.tlsPrivateKeyFile));
        b.clientCAFile(resolve(dir, b.clientCAFile));
    }

    private static String resolve(Path dir, String path) {
        if (path.isEmpty() || Path.of(path).isAbsolute() || dir == null) {
            return path;
        }
        return dir.resolve(path).normalize().toString();
    }

    private static Map<String, FieldDecoder> supported() {
        Map<String, FieldDecoder> m = new LinkedHashMap<>();
        // Non-pointer fields upstream: a zero value is "unset" and defaulted, so only non-zero values count.
        m.put("staticPodPath", (v, b) -> b.staticPodPath(v.string()));
        m.put("syncFrequency", (v, b) -> nonZero(v.duration(), b::syncFrequency));
        m.put("fileCheckFrequency", (v, b) -> nonZero(v.duration(), b::fileCheckFrequency));
        m.put("address", (v, b) -> nonEmpty(v.string(), b::address));
        m.put("port", (v, b) -> nonZeroInt(v.int32(), b::port));
        // Explicit 0 disables the read-only server, as upstream; absent means Skiff's default 10255.
        m.put("readOnlyPort", (v, b) -> b.readOnlyPort(v.int32()));
        m.put("healthzPort", (v, b) -> b.healthzPort(v.int32()));
        m.put("healthzBindAddress", (v, b) -> nonEmpty(v.string(), b::healthzBindAddress));
        m.put("maxPods", (v, b) -> nonZeroInt(v.int32(), b::maxPods));
        m.put("clusterDomain", (v, b) -> b.clusterDomain(v.string()));
        m.put("clusterDNS", (v, b) -> b.clusterDNS(v.stringList()));
        m.put("podLogsDir", (v, b) -> nonEmpty(v.string(), b::podLogsDir));
        m.put("containerLogMaxSize", (v, b) -> {
            String s = v.string();
            if (!s.isEmpty()) {
                b.containerLogMaxSize(v.quantity(s));
            }
        });
        m.put("containerLogMaxFiles", (v, b) -> b.containerLogMaxFiles(v.int32()));
        m.put("shutdownGracePeriod", (v, b) -> b.shutdownGracePeriod(v.duration()));
        m.put("shutdownGracePeriodCriticalPods", (v, b) -> b.shutdownGracePeriodCriticalPods(v.duration()));
        m.put("imageGCHighThresholdPercent", (v, b) -> b.imageGCHighThresholdPercent(v.int32()));
        m.put("imageGCLowThresholdPercent", (v, b) -> b.imageGCLowThresholdPercent(v.int32()));
        m.put("imageMinimumGCAge", (v, b) -> nonZero(v.duration(), b::imageMinimumGCAge));
        m.put("resolvConf", (v, b) -> b.resolvConf(v.string()));
        m.put("cgroupDriver", (v, b) -> nonEmpty(v.string(), b::cgroupDriver));
        m.put("serializeImagePulls", (v, b) -> b.serializeImagePulls(v.bool()));
        m.put("podPidsLimit", (v, b) -> b.podPidsLimit(v.int64()));
        m.put("containerRuntimeEndpoint", (v, b) -> b.containerRuntimeEndpoint(v.string()));
        m.put("tlsCertFile", (v, b) -> b.tlsCertFile(v.string()));
        m.put("tlsPrivateKeyFile", (v, b) -> b.tlsPrivateKeyFile(v.string()));
        m.put("authentication", (v, b) -> {
            Map<String, Value> auth = v.fields("x509", "webhook", "anonymous");
            if (auth.containsKey("x509")) {
                Value ca = auth.get("x509").fields("clientCAFile").get("clientCAFile");
                if (ca != null) {
                    b.clientCAFile(ca.string());
                }
            }
            if (auth.containsKey("webhook")) {
                Map<String, Value> w = auth.get("webhook").fields("enabled", "cacheTTL");
                if (w.containsKey("enabled")) {
                    b.webhookAuthentication(w.get("enabled").bool());
                }
                if (w.containsKey("cacheTTL")) {
                    w.get("cacheTTL").duration(); // checked; meaningless without a webhook
                }
            }
            if (auth.containsKey("anonymous")) {
                Value enabled = auth.get("anonymous").fields("enabled").get("enabled");
                if (enabled != null) {
                    b.anonymousAuth(enabled.bool());
                }
            }
        });
        m.put("authorization", (v, b) -> {
            Map<String, Value> authz = v.fields("mode", "webhook");
            if (authz.containsKey("mode")) {
                nonEmpty(authz.get("mode").string(), b::authorizationMode);
            }
            if (authz.containsKey("webhook")) {
                for (Value ttl : authz.get("webhook").fields("cacheAuthorizedTTL", "cacheUnauthorizedTTL").values()) {
                    ttl.duration(); // checked; meaningless without a webhook
                }
            }
        });
        return Collections.unmodifiableMap(m);
    }

    private static void nonZero(Duration d, Consumer<Duration> set) {
        if (!d.isZero()) {
            set.accept(d);
        }
    }

    private static void nonZeroInt(int i, IntConsumer set) {
        if (i != 0) {
            set.accept(i);
        }
    }

    private static void nonEmpty(String s, Consumer<String> set) {
        if (!s.isEmpty()) {
            set.accept(s);
        }
    }

    /** One top-level field: decoding with Go's JSON type rules, errors naming the file, line and field. */
    private static final class Value {
        final Path file;
        final String name;
        final int line;
        final JsonNode node;

        Value(Path file, String name, int line, JsonNode node) {
            this.file = file;
            this.name = name;
            this.line = line;
            this.node = node;
        }

        String string() throws ConfigException {
            if (!node.isTextual()) {
                throw wrongType("a string");
            }
            return node.textValue();
        }

        int int32() throws ConfigException {
            if (!node.isIntegralNumber()) {
                throw wrongType("an integer");
            }
            if (!node.canConvertToInt()) {
                throw new ConfigException(file, line, name + ": " + node.asText() + " does not fit in int32");
            }
            return node.intValue();
        }

        long int64() throws ConfigException {
            if (!node.isIntegralNumber()) {
                throw wrongType("an integer");
            }
            if (!node.canConvertToLong()) {
                throw new ConfigException(file, line, name + ": " + node.asText() + " does not fit in int64");
            }
            return node.longValue();
        }

        boolean bool() throws ConfigException {
            if (!node.isBoolean()) {
                throw wrongType("a boolean");
            }
            return node.booleanValue();
        }

        Duration duration() throws ConfigException {
            if (!node.isTextual()) {
                throw wrongType("a duration string such as \"20s\" or \"1m30s\"");
            }
            try {
                return GoDuration.parse(node.textValue());
            } catch (IllegalArgumentException e) {
                throw new ConfigException(file, line, name + ": " + e.getMessage());
            }
        }

        Quantity quantity(String s) throws ConfigException {
            try {
                return Quantity.parse(s);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(file, line, name + ": " + e.getMessage());
            }
        }

        List<String> stringList() throws ConfigException {
            if (!node.isArray()) {
                throw wrongType("a list of strings");
            }
            List<String> out = new ArrayList<>();
            for (int i = 0; i < node.size(); i++) {
                JsonNode e = node.get(i);
                if (!e.isTextual()) {
                    throw new ConfigException(file, line, name + "[" + i + "]: expected a string, got "
                            + describe(e));
                }
                out.add(e.textValue());
            }
            return out;
        }

        /** The non-null fields of this object, as values named {@code parent.field}; other fields are errors. */
        Map<String, Value> fields(String... allowed) throws ConfigException {
            if (!node.isObject()) {
                throw wrongType("an object");
            }
            List<String> known = List.of(allowed);
            Map<String, Value> out = new LinkedHashMap<>();
            for (java.util.Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!known.contains(f)) {
                    String hint = Suggestions.nearest(f, new LinkedHashSet<>(known))
                            .map(x -> " (did you mean \"" + x + "\"?)").orElse("");
                    throw new ConfigException(file, line, name + ": unknown field \"" + f + "\"" + hint);
                }
                JsonNode n = node.get(f);
                if (!n.isNull()) {
                    out.put(f, new Value(file, name + "." + f, line, n));
                }
            }
            return out;
        }

        private ConfigException wrongType(String expected) {
            return new ConfigException(file, line, name + ": expected " + expected + ", got " + describe(node));
        }

        static String describe(JsonNode n) {
            if (n == null || n.isNull() || n.isMissingNode()) {
                return "null";
            }
            if (n.isTextual()) {
                return "a string (\"" + n.textValue() + "\")";
            }
            if (n.isIntegralNumber()) {
                return "an integer (" + n.asText() + ")";
            }
            if (n.isNumber()) {
                return "a number (" + n.asText() + ")";
            }
            if (n.isBoolean()) {
                return "a boolean (" + n.asText() + ")";
            }
            if (n.isArray()) {
                return "a list";
            }
            return "an object";
        }
    }
}
