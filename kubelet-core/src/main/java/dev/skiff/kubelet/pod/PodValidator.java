package dev.skiff.kubelet.pod;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The checks upstream's pkg/apis/core/validation makes on a new pod, for the fields Skiff uses. Errors read as
 * upstream's field errors: {@code spec.containers[0].name: Invalid value: "Foo": <why>}.
 */
public final class PodValidator {
    private static final String LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private static final Pattern DNS1123_LABEL = Pattern.compile(LABEL_FMT);
    private static final Pattern DNS1123_SUBDOMAIN = Pattern.compile(LABEL_FMT + "(\\." + LABEL_FMT + ")*");
    private static final Pattern ENV_VAR_NAME = Pattern.compile("[-._a-zA-Z][-._a-zA-Z0-9]*");
    private static final Pattern PORT_NAME_CHARS = Pattern.compile("[-a-z0-9]+");
    private static final Pattern HAS_LETTER = Pattern.compile(".*[a-z].*");
    /** What Skiff accepts as a uid: it names directories ({@code pods/<uid>}, {@code <ns>_<name>_<uid>}). */
    private static final Pattern UID = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?");
    private static final int MAX_UID = 128;
    /** Values quoted in messages are cut here: a field error must not carry a whole file. */
    private static final int MAX_QUOTED = 320;
    /** Upstream's TotalAnnotationSizeLimitB. */
    private static final long MAX_ANNOTATIONS_BYTES = 256 * 1024;

    private static final List<String> PROTOCOLS = List.of("SCTP", "TCP", "UDP");
    private static final List<String> RESTART_POLICIES = List.of("Always", "Never", "OnFailure");
    /** A container's own restartPolicy (init containers only): upstream's ContainerRestartPolicyAlways. */
    private static final List<String> CONTAINER_RESTART_POLICIES = List.of("Always");
    private static final List<String> DNS_POLICIES = List.of("ClusterFirst", "ClusterFirstWithHostNet", "Default",
            "None");
    private static final List<String> PULL_POLICIES = List.of("Always", "IfNotPresent", "Never");

    private PodValidator() {}

    /** All problems found, in field order; empty when the pod is valid. */
    public static List<String> validate(Pod pod) {
        List<String> errs = new ArrayList<>();
        String name = pod.getMetadata() == null ? null : pod.getMetadata().getName();
        if (isEmpty(name)) {
            errs.add(required("metadata.name", "name or generateName is required"));
        } else {
            subdomain(errs, "metadata.name", name);
        }
        String ns = pod.getMetadata() == null ? null : pod.getMetadata().getNamespace();
        if (isEmpty(ns)) {
            errs.add(required("metadata.namespace", ""));
        } else {
            label(errs, "metadata.namespace", ns);
        }
        uid(errs, pod.getMetadata() == null ? null : pod.getMetadata().getUid());
        annotations(errs, pod.getMetadata() == null ? null : pod.getMetadata().getAnnotations());
        PodSpec spec = pod.getSpec();
        if (spec == null) {
            errs.add(required("spec", ""));
            return errs;
        }
        Set<String> volumes = volumes(errs, spec.getVolumes());
        Set<String> names = new HashSet<>();
        containers(errs, "spec.initContainers", spec.getInitContainers(), names, volumes, true);
        if (spec.getContainers() == null || spec.getContainers().isEmpty()) {
            errs.add(required("spec.containers", ""));
        }
        containers(errs, "spec.containers", spec.getContainers(), names, volumes, false);
        ProbeValidator.validate(errs, spec);
        LifecycleValidator.validate(errs, spec);
        if (!isEmpty(spec.getRestartPolicy()) && !RESTART_POLICIES.contains(spec.getRestartPolicy())) {
            errs.add(notSupported("spec.restartPolicy", spec.getRestartPolicy(), RESTART_POLICIES));
        } else if (isEmpty(spec.getRestartPolicy())) {
            errs.add(required("spec.restartPolicy", ""));
        }
        if (isEmpty(spec.getDnsPolicy())) {
            errs.add(required("spec.dnsPolicy", ""));
        } else if (!DNS_POLICIES.contains(spec.getDnsPolicy())) {
            errs.add(notSupported("spec.dnsPolicy", spec.getDnsPolicy(), DNS_POLICIES));
        } else if (spec.getDnsPolicy().equals("None") && spec.getDnsConfig() == null) {
            errs.add(required("spec.dnsConfig", "must provide `dnsConfig` when `dnsPolicy` is None"));
        }
        if (spec.getTerminationGracePeriodSeconds() != null && spec.getTerminationGracePeriodSeconds() < 0) {
            errs.add(invalid("spec.terminationGracePeriodSeconds", spec.getTerminationGracePeriodSeconds(),
                    "must be greater than or equal to 0"));
        }
        return errs;
    }

    /**
     * The identity of a ConfigMap, Secret, PersistentVolume, PersistentVolumeClaim or StorageClass: a name that is a
     * DNS-1123 subdomain (as the API server requires of each), a DNS-1123 label namespace when one is set, and a
     * uid that can name a file when one is set. Empty when valid.
     */
    public static List<String> validateIdentity(HasMetadata object) {
        List<String> errs = new ArrayList<>();
        ObjectMeta meta = object.getMetadata();
        String name = meta == null ? null : meta.getName();
        if (isEmpty(name)) {
            errs.add(required("metadata.name", "name is needed for " + object.getKind()));
            return errs;
        }
        subdomain(errs, "metadata.name", name);
        if (!isEmpty(meta.getNamespace())) {
            label(errs, "metadata.namespace", meta.getNamespace());
        }
        uid(errs, meta.getUid());
        return errs;
    }

    /**
     * Upstream keeps a uid a manifest sets (and hashes one when it sets none) without checking it; Skiff makes
     * directories of it, so it must be one path segment that cannot climb: letters, digits and '-' (a UUID or
     * upstream's md5 hex both are).
     */
    private static void uid(List<String> errs, String uid) {
        if (isEmpty(uid)) {
            return;
        }
        if (uid.length() > MAX_UID) {
            errs.add(invalid("metadata.uid", uid, "must be no more than " + MAX_UID + " characters"));
        } else if (!UID.matcher(uid).matches()) {
            errs.add(invalid("metadata.uid", uid, "must consist of letters, digits and '-', and start and end with"
                    + " a letter or digit (a UUID, e.g. '7b2c1c0e-5d1f-4b7a-9a43-0c0d9e1f2a3b'); Skiff names the"
                    + " pod's directories after it"));
        }
    }

    /** Upstream's ValidateAnnotations size check: keys and values together at most 256 KiB. */
    private static void annotations(List<String> errs, java.util.Map<String, String> annotations) {
        if (annotations == null) {
            return;
        }
        long total = 0;
        for (java.util.Map.Entry<String, String> e : annotations.entrySet()) {
            total += utf8Length(e.getKey()) + (e.getValue() == null ? 0 : utf8Length(e.getValue()));
        }
        if (total > MAX_ANNOTATIONS_BYTES) {
            errs.add("metadata.annotations: Too long: may not be more than " + MAX_ANNOTATIONS_BYTES + " bytes");
        }
    }

    private static long utf8Length(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }

    private static Set<String> volumes(List<String> errs, List<Volume> list) {
        Set<String> names = new HashSet<>();
        if (list == null) {
            return names;
        }
        for (int i = 0; i < list.size(); i++) {
            String path = "spec.volumes[" + i + "].name";
            String n = list.get(i).getName();
            if (isEmpty(n)) {
                errs.add(required(path, ""));
            } else if (label(errs, path, n) && !names.add(n)) {
                errs.add(duplicate(path, n));
            }
        }
        return names;
    }

    private static void containers(List<String> errs, String base, List<Container> list, Set<String> names,
                                   Set<String> volumes, boolean init) {
        if (list == null) {
            return;
        }
        for (int i = 0; i < list.size(); i++) {
            Container c = list.get(i);
            String path = base + "[" + i + "]";
            String n = c.getName();
            if (isEmpty(n)) {
                errs.add(required(path + ".name", ""));
            } else if (label(errs, path + ".name", n) && !names.add(n)) {
                errs.add(duplicate(path + ".name", n));
            }
            if (isEmpty(c.getImage()) || c.getImage().isBlank()) {
                errs.add(required(path + ".image", ""));
            }
            if (!isEmpty(c.getImagePullPolicy()) && !PULL_POLICIES.contains(c.getImagePullPolicy())) {
                errs.add(notSupported(path + ".imagePullPolicy", c.getImagePullPolicy(), PULL_POLICIES));
            }
            restartPolicy(errs, path, c.getRestartPolicy(), init);
            ports(errs, path, c.getPorts());
            env(errs, path, c.getEnv());
            boolean privileged = c.getSecurityContext() != null && Boolean.TRUE.equals(c.getSecurityContext().getPrivileged());
            mounts(errs, path, c.getVolumeMounts(), volumes, privileged);
        }
    }

    /**
     * A container's own restartPolicy: only {@code Always} and only on an init container (a sidecar), as upstream's
     * validateInitContainerRestartPolicy and validateContainers say.
     */
    private static void restartPolicy(List<String> errs, String base, String policy, boolean init) {
        if (policy == null) {
            return;
        }
        if (!init) {
            errs.add(base + ".restartPolicy: Forbidden: may not be set for non-init containers");
        } else if (!CONTAINER_RESTART_POLICIES.contains(policy)) {
            errs.add(notSupported(base + ".restartPolicy", policy, CONTAINER_RESTART_POLICIES));
        }
    }

    private static void ports(List<String> errs, String base, List<ContainerPort> ports) {
        if (ports == null) {
            return;
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < ports.size(); i++) {
            ContainerPort p = ports.get(i);
            String path = base + ".ports[" + i + "]";
            if (!isEmpty(p.getName())) {
                List<String> why = portNameErrors(p.getName());
                for (String w : why) {
                    errs.add(invalid(path + ".name", p.getName(), w));
                }
                if (why.isEmpty() && !names.add(p.getName())) {
                    errs.add(duplicate(path + ".name", p.getName()));
                }
            }
            Integer cp = p.getContainerPort();
            if (cp == null || cp == 0) {
                errs.add(required(path + ".containerPort", ""));
            } else if (cp < 1 || cp > 65535) {
                errs.add(invalid(path + ".containerPort", cp, "must be between 1 and 65535, inclusive"));
            }
            Integer hp = p.getHostPort();
            if (hp != null && hp != 0 && (hp < 1 || hp > 65535)) {
                errs.add(invalid(path + ".hostPort", hp, "must be between 1 and 65535, inclusive"));
            }
            if (isEmpty(p.getProtocol())) {
                errs.add(required(path + ".protocol", ""));
            } else if (!PROTOCOLS.contains(p.getProtocol())) {
                errs.add(notSupported(path + ".protocol", p.getProtocol(), PROTOCOLS));
            }
        }
    }

    /** Upstream's IsValidPortName (an IANA_SVC_NAME). */
    static List<String> portNameErrors(String port) {
        List<String> why = new ArrayList<>();
        if (port.length() > 15) {
            why.add("must be no more than 15 characters");
        }
        if (!PORT_NAME_CHARS.matcher(port).matches()) {
            why.add("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
        }
        if (!HAS_LETTER.matcher(port).matches()) {
            why.add("must contain at least one letter (a-z)");
        }
        if (port.contains("--")) {
            why.add("must not contain consecutive hyphens");
        }
        if (port.startsWith("-") || port.endsWith("-")) {
            why.add("must not begin or end with a hyphen");
        }
        return why;
    }

    private static void env(List<String> errs, String base, List<EnvVar> env) {
        if (env == null) {
            return;
        }
        for (int i = 0; i < env.size(); i++) {
            String path = base + ".env[" + i + "].name";
            String n = env.get(i).getName();
            if (isEmpty(n)) {
                errs.add(required(path, ""));
            } else if (!ENV_VAR_NAME.matcher(n).matches()) {
                errs.add(invalid(path, n, "a valid environment variable name must consist of alphabetic characters,"
                        + " digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or"
                        + " 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '"
                        + ENV_VAR_NAME.pattern() + "')"));
            }
        }
    }

    private static void mounts(List<String> errs, String base, List<VolumeMount> mounts, Set<String> volumes,
                               boolean privileged) {
        if (mounts == null) {
            return;
        }
        Set<String> paths = new HashSet<>();
        for (int i = 0; i < mounts.size(); i++) {
            VolumeMount m = mounts.get(i);
            String path = base + ".volumeMounts[" + i + "]";
            if (isEmpty(m.getName())) {
                errs.add(required(path + ".name", ""));
            } else if (!volumes.contains(m.getName())) {
                errs.add(path + ".name: Not found: " + quote(m.getName()));
            }
            if (isEmpty(m.getMountPath())) {
                errs.add(required(path + ".mountPath", ""));
            } else if (!paths.add(m.getMountPath())) {
                errs.add(invalid(path + ".mountPath", m.getMountPath(), "must be unique"));
            }
            if (!isEmpty(m.getSubPath())) {
                localDescendingPath(errs, path + ".subPath", m.getSubPath());
            }
            if (!isEmpty(m.getSubPathExpr())) {
                if (!isEmpty(m.getSubPath())) {
                    errs.add(invalid(path + ".subPathExpr", m.getSubPathExpr(), "subPathExpr and subPath are mutually exclusive"));
                }
                localDescendingPath(errs, path + ".subPathExpr", m.getSubPathExpr());
            }
            String propagation = m.getMountPropagation();
            if (propagation != null && !List.of("None", "HostToContainer", "Bidirectional").contains(propagation)) {
                errs.add(path + ".mountPropagation: Unsupported value: " + quote(propagation)
                        + ": supported values: \"Bidirectional\", \"HostToContainer\", \"None\"");
            } else if ("Bidirectional".equals(propagation) && !privileged) {
                errs.add(path + ".mountPropagation: Forbidden: Bidirectional mount propagation is available only to"
                        + " privileged containers");
            }
        }
    }

    /** Upstream validateLocalDescendingPath: relative, and no ".." element (a subPath must stay in its volume). */
    private static void localDescendingPath(List<String> errs, String path, String value) {
        if (value.startsWith("/")) {
            errs.add(invalid(path, value, "must be a relative path"));
        }
        for (String part : value.split("[/\\\\]")) {
            if (part.equals("..")) {
                errs.add(invalid(path, value, "must not contain '..'"));
                break;
            }
        }
    }

    static boolean subdomain(List<String> errs, String path, String v) {
        boolean ok = true;
        if (v.length() > 253) {
            errs.add(invalid(path, v, "must be no more than 253 characters"));
            ok = false;
        }
        if (!DNS1123_SUBDOMAIN.matcher(v).matches()) {
            errs.add(invalid(path, v, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric"
                    + " characters, '-' or '.', and must start and end with an alphanumeric character (e.g."
                    + " 'example.com', regex used for validation is '" + DNS1123_SUBDOMAIN.pattern() + "')"));
            ok = false;
        }
        return ok;
    }

    static boolean label(List<String> errs, String path, String v) {
        boolean ok = true;
        if (v.length() > 63) {
            errs.add(invalid(path, v, "must be no more than 63 characters"));
            ok = false;
        }
        if (!DNS1123_LABEL.matcher(v).matches()) {
            errs.add(invalid(path, v, "a lowercase RFC 1123 label must consist of lower case alphanumeric"
                    + " characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',"
                    + "  or '123-abc', regex used for validation is '" + LABEL_FMT + "')"));
            ok = false;
        }
        return ok;
    }

    public static String required(String path, String detail) {
        return path + ": Required value" + (detail.isEmpty() ? "" : ": " + detail);
    }

    public static String invalid(String path, Object value, String detail) {
        return path + ": Invalid value: " + (value instanceof String s ? quote(s) : String.valueOf(value)) + ": "
                + detail;
    }

    static String duplicate(String path, String value) {
        return path + ": Duplicate value: " + quote(value);
    }

    public static String notSupported(String path, String value, List<String> supported) {
        StringBuilder sb = new StringBuilder(path).append(": Unsupported value: ").append(quote(value))
                .append(": supported values: ");
        for (int i = 0; i < supported.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(quote(supported.get(i)));
        }
        return sb.toString();
    }

    public static String quote(String s) {
        String shown = s.length() <= MAX_QUOTED ? s : s.substring(0, MAX_QUOTED);
        String q = '"' + shown.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
        return s.length() <= MAX_QUOTED ? q : q + "... (" + s.length() + " characters)";
    }

    private static boolean isEmpty(String s) {
        return s == null || s.isEmpty();
    }
}
