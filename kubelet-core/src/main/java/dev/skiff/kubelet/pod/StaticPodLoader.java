package dev.skiff.kubelet.pod;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Toleration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Loads one manifest file the way upstream's kubelet file source does (pkg/kubelet/config/common.go): decode,
 * give the pod a uid hashed from node, file and content, name it {@code <name>-<node>}, apply the API-server
 * defaults and validate it.
 */
public final class StaticPodLoader {
    private static final Logger LOG = LoggerFactory.getLogger(StaticPodLoader.class);
    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss")
            .withZone(ZoneOffset.UTC);

    private final String nodeName;
    private final Clock clock;
    private final ManifestParser parser;
    private final ManifestLimits limits;

    public StaticPodLoader(String nodeName) {
        this(nodeName, ManifestLimits.DEFAULTS);
    }

    public StaticPodLoader(String nodeName, ManifestLimits limits) {
        this(nodeName, Clock.systemUTC(), limits);
    }

    /** With a clock for {@code kubernetes.io/config.seen}, for tests. */
    public StaticPodLoader(String nodeName, Clock clock) {
        this(nodeName, clock, ManifestLimits.DEFAULTS);
    }

    public StaticPodLoader(String nodeName, Clock clock, ManifestLimits limits) {
        this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
        if (nodeName.isEmpty()) {
            throw new IllegalArgumentException("nodeName must not be empty");
        }
        this.clock = Objects.requireNonNull(clock, "clock");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.parser = new ManifestParser(limits);
    }

    /** What one file may ask of the parser; a file over {@code maxBytes} should not even be read. */
    public ManifestLimits limits() {
        return limits;
    }

    /**
     * Parses (YAML or JSON, multi-document YAML allowed), turns the Pod into a static pod (name
     * {@code <name>-<nodeName>}, namespace default, stable uid, annotations kubernetes.io/config.source=file,
     * config.hash, config.seen), applies API-server defaults, validates; throws ManifestException with
     * file/line/reason on any problem.
     */
    public Manifest load(Path file, byte[] content) throws ManifestException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(content, "content");
        Pod pod = null;
        int podLine = 0;
        List<HasMetadata> objects = new ArrayList<>();
        for (ManifestParser.Document doc : parser.parse(file, content)) {
            if (doc.object() instanceof Pod p) {
                if (pod != null) {
                    throw new ManifestException(file, doc.line(),
                            "a file holds at most one Pod; another Pod starts at line " + podLine);
                }
                pod = p;
                podLine = doc.line();
            } else {
                HasMetadata o = doc.object();
                if (o instanceof Service svc) {
                    PodDefaults.apply(svc); // before validating: the checks read the defaulted protocol and type
                }
                List<String> errors = o instanceof Service svc ? ServiceValidator.validate(svc)
                        : PodValidator.validateIdentity(o);
                if (errors.isEmpty()) {
                    errors = WorkloadValidators.validate(o); // StatefulSet, Deployment …: their controller's checks
                }
                if (!errors.isEmpty()) {
                    throw new ManifestException(file, doc.line(), "invalid " + o.getKind() + ": "
                            + String.join("; ", errors));
                }
                PodDefaults.apply(o);
                objects.add(o);
            }
        }
        if (pod == null) {
            return new Manifest(file, Optional.empty(), objects);
        }
        Pod staticPod = toStaticPod(file, pod, podLine);
        LOG.debug("loaded static pod {}/{} uid {} from {}", staticPod.getMetadata().getNamespace(),
                staticPod.getMetadata().getName(), staticPod.getMetadata().getUid(), file);
        return new Manifest(file, Optional.of(staticPod), objects);
    }

    /**
     * Loads a small built-in manifest and forgets it: the first load in a JVM spends most of a second loading the
     * pod model's classes, which a caller can so do ahead of the first real file.
     */
    public void warmUp() {
        String manifest = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: warm-up\nspec:\n  containers:\n"
                + "  - name: c\n    image: busybox\n    ports: [{containerPort: 80}]\n    env: [{name: A, value: b}]\n"
                + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: warm-up}\ndata: {a: b}\n";
        String json = "{\"apiVersion\": \"v1\", \"kind\": \"Secret\", \"metadata\": {\"name\": \"warm-up\"}}";
        try {
            load(Path.of("/warm-up.yaml"), manifest.getBytes(StandardCharsets.UTF_8));
            load(Path.of("/warm-up.json"), json.getBytes(StandardCharsets.UTF_8));
        } catch (ManifestException | RuntimeException e) {
            LOG.debug("warming the manifest parser up: {}", e.toString());
        }
    }

    private Pod toStaticPod(Path file, Pod pod, int line) throws ManifestException {
        ObjectMeta meta = pod.getMetadata();
        if (meta == null || meta.getName() == null || meta.getName().isEmpty()) {
            throw new ManifestException(file, line, "metadata.name: Required value: name is needed for the pod");
        }
        // The uid hashes the pod as written (before defaults, so a Skiff upgrade that adds a default keeps it)
        // plus node and file, as upstream; config.seen is set afterwards and so never feeds it.
        if (meta.getUid() == null || meta.getUid().isEmpty()) {
            meta.setUid(uid(pod, file));
        }
        PodDefaults.apply(pod);
        meta.setName(meta.getName() + "-" + nodeName.toLowerCase(Locale.ROOT));
        if (meta.getNamespace() == null || meta.getNamespace().isEmpty()) {
            meta.setNamespace("default");
        }
        // Upstream overwrites spec.nodeName; we keep a non-empty one so admission can reject a pod meant for
        // another node.
        if (pod.getSpec().getNodeName() == null || pod.getSpec().getNodeName().isEmpty()) {
            pod.getSpec().setNodeName(nodeName);
        }
        if (meta.getAnnotations() == null) {
            meta.setAnnotations(new LinkedHashMap<>());
        }
        meta.getAnnotations().put(StaticPods.CONFIG_HASH, meta.getUid());
        meta.getAnnotations().put(StaticPods.CONFIG_SOURCE, StaticPods.SOURCE_FILE);
        meta.getAnnotations().put(StaticPods.CONFIG_SEEN, rfc3339Nano(clock.instant()));
        meta.getAnnotations().remove(StaticPods.CONFIG_MIRROR);
        addToleration(pod, new Toleration("NoExecute", null, "Exists", null, null));
        if (pod.getStatus() == null) {
            pod.setStatus(new PodStatus());
        }
        pod.getStatus().setPhase("Pending");
        List<String> errors = PodValidator.validate(pod);
        if (!errors.isEmpty()) {
            throw new ManifestException(file, line, "invalid pod: " + String.join("; ", errors));
        }
        return pod;
    }

    private String uid(Pod pod, Path file) {
        try {
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            md5.update(CanonicalJson.bytes(pod));
            md5.update(("host:" + nodeName).getBytes(StandardCharsets.UTF_8));
            md5.update(("file:" + file.toAbsolutePath().normalize()).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md5.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is required by the JDK", e);
        }
    }

    /** Upstream's AddOrUpdateTolerationInPod: replace a toleration matching key/operator/value/effect, else add. */
    private static void addToleration(Pod pod, Toleration t) {
        List<Toleration> list = pod.getSpec().getTolerations() == null ? new ArrayList<>()
                : new ArrayList<>(pod.getSpec().getTolerations());
        boolean updated = false;
        for (int i = 0; i < list.size(); i++) {
            Toleration o = list.get(i);
            if (Objects.equals(nz(o.getKey()), nz(t.getKey())) && Objects.equals(nz(o.getOperator()),
                    nz(t.getOperator())) && Objects.equals(nz(o.getValue()), nz(t.getValue()))
                    && Objects.equals(nz(o.getEffect()), nz(t.getEffect()))) {
                list.set(i, t);
                updated = true;
            }
        }
        if (!updated) {
            list.add(t);
        }
        pod.getSpec().setTolerations(list);
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    /** Go's time.RFC3339Nano in UTC: fractional seconds with trailing zeros trimmed, none when zero. */
    static String rfc3339Nano(Instant t) {
        String s = SECONDS.format(t);
        int nanos = t.getNano();
        if (nanos == 0) {
            return s + "Z";
        }
        String frac = String.format("%09d", nanos).replaceAll("0+$", "");
        return s + "." + frac + "Z";
    }
}
