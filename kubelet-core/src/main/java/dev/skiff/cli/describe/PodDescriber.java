package dev.skiff.cli.describe;

import dev.skiff.kubelet.server.PodTable;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A pod and its events as {@code kubectl describe pod} prints them (describePod in kubectl's
 * pkg/describe/describe.go): the same sections, labels, indentation and Go tabwriter alignment. Pure.
 */
public final class PodDescriber {
    private static final int MAX_ANNOTATION_LEN = 140;
    /** Go's time.RFC1123Z. */
    private static final DateTimeFormatter RFC1123Z = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss Z", Locale.US);

    private final Instant now;
    private final ZoneId zone;
    private final TabWriter tw = new TabWriter();

    private PodDescriber(Instant now, ZoneId zone) {
        this.now = now;
        this.zone = zone;
    }

    /** The description of {@code pod} with {@code events} (any order), times shown in {@code zone}. */
    public static String describe(Pod pod, List<Event> events, Instant now, ZoneId zone) {
        PodDescriber d = new PodDescriber(now, zone);
        d.pod(pod, events);
        return d.tw.result();
    }

    /** kubectl's PrefixWriter: two spaces per level, control characters escaped as printers.WriteEscaped does. */
    private void w(int level, String format, Object... args) {
        String text = "  ".repeat(level) + (args.length == 0 ? format : String.format(Locale.ROOT, format, args));
        tw.write(text.replace("\u001b", "^[").replace("\r", "\\r"));
    }

    private void pod(Pod pod, List<Event> events) {
        var m = pod.getMetadata();
        var spec = pod.getSpec();
        PodStatus st = pod.getStatus() == null ? new PodStatus() : pod.getStatus();
        w(0, "Name:\t%s\n", m.getName());
        w(0, "Namespace:\t%s\n", m.getNamespace());
        if (spec.getPriority() != null) {
            w(0, "Priority:\t%d\n", spec.getPriority());
        }
        if (nonEmpty(spec.getPriorityClassName())) {
            w(0, "Priority Class Name:\t%s\n", spec.getPriorityClassName());
        }
        if (nonEmpty(spec.getRuntimeClassName())) {
            w(0, "Runtime Class Name:\t%s\n", spec.getRuntimeClassName());
        }
        if (nonEmpty(spec.getServiceAccountName())) {
            w(0, "Service Account:\t%s\n", spec.getServiceAccountName());
        }
        if (!nonEmpty(spec.getNodeName())) {
            w(0, "Node:\t<none>\n");
        } else {
            w(0, "Node:\t%s\n", spec.getNodeName() + "/" + str(st.getHostIP()));
        }
        Instant start = time(st.getStartTime());
        if (start != null) {
            w(0, "Start Time:\t%s\n", rfc1123z(start));
        }
        multiline("Labels", m.getLabels());
        annotations(m.getAnnotations());
        boolean terminal = "Failed".equals(st.getPhase()) || "Succeeded".equals(st.getPhase());
        if (m.getDeletionTimestamp() != null && !terminal) {
            long grace = m.getDeletionGracePeriodSeconds() == null ? 0 : m.getDeletionGracePeriodSeconds();
            // how long the termination has lasted: since it was asked for, the deletionTimestamp minus the grace
            // period (kubectl counts from the deletionTimestamp, a future time, and prints "<invalid>")
            Instant deletion = time(m.getDeletionTimestamp());
            w(0, "Status:\tTerminating (lasts %s)\n", since(deletion == null ? null : deletion.minusSeconds(grace)));
            w(0, "Termination Grace Period:\t%ds\n", grace);
        } else {
            w(0, "Status:\t%s\n", str(st.getPhase()));
        }
        if (nonEmpty(st.getReason())) {
            w(0, "Reason:\t%s\n", st.getReason());
        }
        if (nonEmpty(st.getMessage())) {
            w(0, "Message:\t%s\n", st.getMessage());
        }
        w(0, "IP:\t%s\n", str(st.getPodIP()));
        List<PodIP> ips = st.getPodIPs() == null ? List.of() : st.getPodIPs();
        if (ips.isEmpty()) {
            w(0, "IPs:\t<none>\n");
        } else {
            w(0, "IPs:\n");
            ips.forEach(ip -> w(1, "IP:\t%s\n", ip.getIp()));
        }
        if (m.getOwnerReferences() != null) {
            for (OwnerReference o : m.getOwnerReferences()) {
                if (Boolean.TRUE.equals(o.getController())) {
                    w(0, "Controlled By:\t%s/%s\n", o.getKind(), o.getName());
                }
            }
        }
        if (spec.getInitContainers() != null && !spec.getInitContainers().isEmpty()) {
            containers("Init Containers", spec.getInitContainers(), st.getInitContainerStatuses(), pod);
        }
        containers("Containers", spec.getContainers(), st.getContainerStatuses(), pod);
        if (st.getConditions() != null && !st.getConditions().isEmpty()) {
            w(0, "Conditions:\n  Type\tStatus\n");
            for (PodCondition c : st.getConditions()) {
                w(1, "%s \t%s \n", c.getType(), c.getStatus());
            }
        }
        volumes(spec.getVolumes());
        w(0, "QoS Class:\t%s\n", str(st.getQosClass()));
        multiline("Node-Selectors", spec.getNodeSelector());
        tolerations(spec.getTolerations());
        events(events);
    }

    private void containers(String label, List<Container> containers, List<ContainerStatus> statuses, Pod pod) {
        Map<String, ContainerStatus> byName = new HashMap<>();
        if (statuses != null) {
            statuses.forEach(s -> byName.put(s.getName(), s));
        }
        w(0, "%s:\n", label);
        for (Container c : containers) {
            ContainerStatus s = byName.get(c.getName());
            w(1, "%s:\n", c.getName());
            if (s != null) {
                w(2, "Container ID:\t%s\n", str(s.getContainerID()));
            }
            w(2, "Image:\t%s\n", c.getImage());
            if (s != null) {
                w(2, "Image ID:\t%s\n", str(s.getImageID()));
            }
            List<ContainerPort> ports = c.getPorts() == null ? List.of() : c.getPorts();
            String portList = ports.stream().map(p -> p.getContainerPort() + "/" + protocol(p)).collect(Collectors.joining(", "));
            String hostPorts = ports.stream().map(p -> (p.getHostPort() == null ? 0 : p.getHostPort()) + "/" + protocol(p))
                    .collect(Collectors.joining(", "));
            w(2, portList.contains(",") ? "Ports:\t%s\n" : "Port:\t%s\n", orNone(portList));
            w(2, hostPorts.contains(",") ? "Host Ports:\t%s\n" : "Host Port:\t%s\n", orNone(hostPorts));
            lines("Command", c.getCommand());
            lines("Args", c.getArgs());
            if (s != null) {
                state("State", s.getState());
                if (s.getLastState() != null && s.getLastState().getTerminated() != null) {
                    state("Last State", s.getLastState());
                }
                w(2, "Ready:\t%s\n", Boolean.TRUE.equals(s.getReady()) ? "True" : "False");
                w(2, "Restart Count:\t%d\n", s.getRestartCount() == null ? 0 : s.getRestartCount());
            }
            if (c.getResources() != null) {
                resources("Limits", c.getResources().getLimits());
                resources("Requests", c.getResources().getRequests());
            }
            probe("Liveness", c.getLivenessProbe());
            probe("Readiness", c.getReadinessProbe());
            probe("Startup", c.getStartupProbe());
            if (c.getEnvFrom() != null && !c.getEnvFrom().isEmpty()) {
                envFrom(c.getEnvFrom());
            }
            env(c.getEnv(), pod);
            mounts(c);
        }
    }

    private void lines(String title, List<String> values) {
        if (values == null || values.isEmpty()) {
            return;
        }
        w(2, "%s:\n", title);
        for (String v : values) {
            for (String line : v.split("\n", -1)) {
                w(3, "%s\n", line);
            }
        }
    }

    private void state(String name, ContainerState s) {
        if (s != null && s.getRunning() != null) {
            w(2, "%s:\tRunning\n", name);
            w(3, "Started:\t%s\n", rfc1123z(time(s.getRunning().getStartedAt())));
        } else if (s != null && s.getWaiting() != null) {
            w(2, "%s:\tWaiting\n", name);
            if (nonEmpty(s.getWaiting().getReason())) {
                w(3, "Reason:\t%s\n", s.getWaiting().getReason());
            }
        } else if (s != null && s.getTerminated() != null) {
            var t = s.getTerminated();
            w(2, "%s:\tTerminated\n", name);
            if (nonEmpty(t.getReason())) {
                w(3, "Reason:\t%s\n", t.getReason());
            }
            if (nonEmpty(t.getMessage())) {
                w(3, "Message:\t%s\n", t.getMessage());
            }
            w(3, "Exit Code:\t%d\n", t.getExitCode() == null ? 0 : t.getExitCode());
            if (t.getSignal() != null && t.getSignal() > 0) {
                w(3, "Signal:\t%d\n", t.getSignal());
            }
            w(3, "Started:\t%s\n", rfc1123z(time(t.getStartedAt())));
            w(3, "Finished:\t%s\n", rfc1123z(time(t.getFinishedAt())));
        } else {
            w(2, "%s:\tWaiting\n", name);
        }
    }

    private void resources(String title, Map<String, Quantity> values) {
        if (values == null || values.isEmpty()) {
            return;
        }
        w(2, "%s:\n", title);
        new TreeMap<>(values).forEach((k, v) -> w(3, "%s:\t%s\n", k, v.toString()));
    }

    /** kubectl's DescribeProbe. */
    static String probeText(Probe p) {
        String attrs = String.format(Locale.ROOT, "delay=%ds timeout=%ds period=%ds #success=%d #failure=%d",
                n(p.getInitialDelaySeconds()), n(p.getTimeoutSeconds()), n(p.getPeriodSeconds()),
                n(p.getSuccessThreshold()), n(p.getFailureThreshold()));
        if (p.getExec() != null) {
            List<String> cmd = p.getExec().getCommand() == null ? List.of() : p.getExec().getCommand();
            return "exec [" + String.join(" ", cmd) + "] " + attrs;
        } else if (p.getHttpGet() != null) {
            HTTPGetAction h = p.getHttpGet();
            String port = port(h.getPort());
            String host = str(h.getHost());
            String authority = port.isEmpty() ? host : (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
            String scheme = h.getScheme() == null ? "" : h.getScheme().toLowerCase(Locale.ROOT);
            return "http-get " + (scheme.isEmpty() ? "" : scheme + ":") + "//" + authority + str(h.getPath()) + " " + attrs;
        } else if (p.getTcpSocket() != null) {
            return "tcp-socket " + str(p.getTcpSocket().getHost()) + ":" + port(p.getTcpSocket().getPort()) + " " + attrs;
        } else if (p.getGrpc() != null) {
            return "grpc <pod>:" + p.getGrpc().getPort() + " " + str(p.getGrpc().getService()) + " " + attrs;
        }
        return "unknown " + attrs;
    }

    private void probe(String title, Probe p) {
        if (p != null) {
            w(2, "%s:\t%s\n", title, probeText(p));
        }
    }

    private void envFrom(List<EnvFromSource> sources) {
        w(2, "Environment Variables from:\n");
        for (EnvFromSource e : sources) {
            String from = "";
            String name = "";
            boolean optional = false;
            if (e.getConfigMapRef() != null) {
                from = "ConfigMap";
                name = e.getConfigMapRef().getName();
                optional = Boolean.TRUE.equals(e.getConfigMapRef().getOptional());
            } else if (e.getSecretRef() != null) {
                from = "Secret";
                name = e.getSecretRef().getName();
                optional = Boolean.TRUE.equals(e.getSecretRef().getOptional());
            }
            if (!nonEmpty(e.getPrefix())) {
                w(3, "%s\t%s\tOptional: %s\n", name, from, optional);
            } else {
                w(3, "%s\t%s with prefix '%s'\tOptional: %s\n", name, from, e.getPrefix(), optional);
            }
        }
    }

    private void env(List<EnvVar> env, Pod pod) {
        if (env == null || env.isEmpty()) {
            w(2, "Environment:\t<none>\n");
            return;
        }
        w(2, "Environment:\n");
        for (EnvVar e : env) {
            var from = e.getValueFrom();
            if (from == null) {
                String[] values = str(e.getValue()).split("\n", -1);
                for (int i = 0; i < values.length; i++) {
                    if (i == 0) {
                        w(3, "%s:\t%s\n", e.getName(), values[i]);
                    } else {
                        w(3, "\t%s\n", values[i]);
                    }
                }
            } else if (from.getFieldRef() != null) {
                String api = from.getFieldRef().getApiVersion() == null ? "v1" : from.getFieldRef().getApiVersion();
                w(3, "%s:\t%s (%s:%s)\n", e.getName(), fieldValue(pod, from.getFieldRef().getFieldPath()), api,
                        from.getFieldRef().getFieldPath());
            } else if (from.getResourceFieldRef() != null) {
                w(3, "%s:\t%s (%s)\n", e.getName(), "", from.getResourceFieldRef().getResource());
            } else if (from.getSecretKeyRef() != null) {
                w(3, "%s:\t<set to the key '%s' in secret '%s'>\tOptional: %s\n", e.getName(),
                        from.getSecretKeyRef().getKey(), from.getSecretKeyRef().getName(),
                        Boolean.TRUE.equals(from.getSecretKeyRef().getOptional()));
            } else if (from.getConfigMapKeyRef() != null) {
                w(3, "%s:\t<set to the key '%s' of config map '%s'>\tOptional: %s\n", e.getName(),
                        from.getConfigMapKeyRef().getKey(), from.getConfigMapKeyRef().getName(),
                        Boolean.TRUE.equals(from.getConfigMapKeyRef().getOptional()));
            }
        }
    }

    /** kubectl's EnvValueRetriever for the fields it resolves. */
    private static String fieldValue(Pod pod, String path) {
        var m = pod.getMetadata();
        var st = pod.getStatus();
        return switch (str(path)) {
            case "metadata.name" -> str(m.getName());
            case "metadata.namespace" -> str(m.getNamespace());
            case "metadata.uid" -> str(m.getUid());
            case "spec.nodeName" -> str(pod.getSpec().getNodeName());
            case "spec.serviceAccountName" -> str(pod.getSpec().getServiceAccountName());
            case "status.hostIP" -> st == null ? "" : str(st.getHostIP());
            case "status.podIP" -> st == null ? "" : str(st.getPodIP());
            case "status.podIPs" -> st == null || st.getPodIPs() == null ? ""
                    : st.getPodIPs().stream().map(PodIP::getIp).collect(Collectors.joining(","));
            default -> "";
        };
    }

    private void mounts(Container c) {
        List<VolumeMount> mounts = c.getVolumeMounts() == null ? new ArrayList<>() : new ArrayList<>(c.getVolumeMounts());
        if (mounts.isEmpty()) {
            w(2, "Mounts:\t<none>\n");
        } else {
            w(2, "Mounts:\n");
            mounts.sort(Comparator.comparing(VolumeMount::getMountPath));
            for (VolumeMount v : mounts) {
                List<String> flags = new ArrayList<>();
                flags.add(Boolean.TRUE.equals(v.getReadOnly()) ? "ro" : "rw");
                if (nonEmpty(v.getSubPath())) {
                    flags.add("path=\"" + v.getSubPath() + "\"");
                }
                w(3, "%s from %s (%s)\n", v.getMountPath(), v.getName(), String.join(",", flags));
            }
        }
        if (c.getVolumeDevices() != null && !c.getVolumeDevices().isEmpty()) {
            w(2, "Devices:%s\n", mounts.isEmpty() ? "\t<none>" : "");
            c.getVolumeDevices().stream().sorted(Comparator.comparing(d -> d.getDevicePath()))
                    .forEach(d -> w(3, "%s from %s\n", d.getDevicePath(), d.getName()));
        }
    }

    private void volumes(List<Volume> volumes) {
        if (volumes == null || volumes.isEmpty()) {
            w(0, "Volumes:\t<none>\n");
            return;
        }
        w(0, "Volumes:\n");
        for (Volume v : volumes) {
            w(1, "%s:\n", v.getName());
            if (v.getHostPath() != null) {
                w(2, "Type:\tHostPath (bare host directory volume)\n    Path:\t%s\n    HostPathType:\t%s\n",
                        v.getHostPath().getPath(), orNone(v.getHostPath().getType()));
            } else if (v.getEmptyDir() != null) {
                Quantity limit = v.getEmptyDir().getSizeLimit();
                w(2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t%s\n    SizeLimit:\t%s\n",
                        str(v.getEmptyDir().getMedium()), limit == null ? "<unset>" : limit.toString());
            } else if (v.getSecret() != null) {
                w(2, "Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t%s\n    Optional:\t%s\n",
                        v.getSecret().getSecretName(), Boolean.TRUE.equals(v.getSecret().getOptional()));
            } else if (v.getConfigMap() != null) {
                w(2, "Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t%s\n    Optional:\t%s\n",
                        v.getConfigMap().getName(), Boolean.TRUE.equals(v.getConfigMap().getOptional()));
            } else if (v.getPersistentVolumeClaim() != null) {
                w(2, "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n"
                                + "    ClaimName:\t%s\n    ReadOnly:\t%s\n", v.getPersistentVolumeClaim().getClaimName(),
                        Boolean.TRUE.equals(v.getPersistentVolumeClaim().getReadOnly()));
            } else if (v.getDownwardAPI() != null) {
                w(2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n");
                for (var item : v.getDownwardAPI().getItems()) {
                    if (item.getFieldRef() != null) {
                        w(3, "%s -> %s\n", item.getFieldRef().getFieldPath(), item.getPath());
                    }
                    if (item.getResourceFieldRef() != null) {
                        w(3, "%s -> %s\n", item.getResourceFieldRef().getResource(), item.getPath());
                    }
                }
            } else if (v.getProjected() != null) {
                w(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n");
                for (var s : v.getProjected().getSources()) {
                    if (s.getSecret() != null) {
                        w(2, "SecretName:\t%s\n    SecretOptionalName:\t%s\n", s.getSecret().getName(),
                                s.getSecret().getOptional() == null ? "<nil>" : s.getSecret().getOptional());
                    } else if (s.getDownwardAPI() != null) {
                        w(2, "DownwardAPI:\ttrue\n");
                    } else if (s.getConfigMap() != null) {
                        w(2, "ConfigMapName:\t%s\n    ConfigMapOptional:\t%s\n", s.getConfigMap().getName(),
                                s.getConfigMap().getOptional() == null ? "<nil>" : s.getConfigMap().getOptional());
                    } else if (s.getServiceAccountToken() != null) {
                        w(2, "TokenExpirationSeconds:\t%d\n", n(s.getServiceAccountToken().getExpirationSeconds()));
                    }
                }
            } else if (v.getNfs() != null) {
                w(2, "Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n    Server:\t%s\n    Path:\t%s\n    ReadOnly:\t%s\n",
                        v.getNfs().getServer(), v.getNfs().getPath(), Boolean.TRUE.equals(v.getNfs().getReadOnly()));
            } else {
                w(1, "<unknown>\n");
            }
        }
    }

    /**
     * kubectl's multi-line fields (printLabelsMultiline, printAnnotationsMultiline, printTolerationsMultiline): the
     * title and the first item on one line, each further item on its own line in the value column; {@code <none>}.
     */
    private <T> void titled(String title, java.util.Collection<T> items, java.util.function.Consumer<T> item) {
        w(0, "%s:\t", title);
        if (items == null || items.isEmpty()) {
            w(0, "<none>\n");
            return;
        }
        boolean first = true;
        for (T t : items) {
            if (!first) {
                w(0, "\t");
            }
            first = false;
            item.accept(t);
        }
    }

    private void multiline(String title, Map<String, String> values) {
        titled(title, values == null ? null : new TreeMap<>(values).entrySet(),
                e -> w(0, "%s=%s\n", e.getKey(), e.getValue()));
    }

    private void annotations(Map<String, String> values) {
        titled("Annotations", values == null ? null : new TreeMap<>(values).entrySet(), e -> {
            String value = e.getValue().endsWith("\n") ? e.getValue().substring(0, e.getValue().length() - 1) : e.getValue();
            if (value.length() + e.getKey().length() + 2 > MAX_ANNOTATION_LEN || value.contains("\n")) {
                w(0, "%s:\n", e.getKey());
                for (String line : value.split("\n", -1)) {
                    String shortened = line.length() > MAX_ANNOTATION_LEN - 2
                            ? line.substring(0, MAX_ANNOTATION_LEN - 2) + "..." : line;
                    w(0, "\t  %s\n", shortened);
                }
            } else {
                w(0, "%s: %s\n", e.getKey(), value);
            }
        });
    }

    private void tolerations(List<Toleration> tolerations) {
        titled("Tolerations", tolerations, t -> {
            StringBuilder b = new StringBuilder(str(t.getKey()));
            if (nonEmpty(t.getValue())) {
                b.append('=').append(t.getValue());
            }
            if (nonEmpty(t.getEffect())) {
                b.append(':').append(t.getEffect());
            }
            if ("Exists".equals(t.getOperator()) && !nonEmpty(t.getValue())) {
                b.append(nonEmpty(t.getKey()) || nonEmpty(t.getEffect()) ? " op=Exists" : "op=Exists");
            }
            if (t.getTolerationSeconds() != null) {
                b.append(" for ").append(t.getTolerationSeconds()).append('s');
            }
            w(0, "%s\n", b);
        });
    }

    private void events(List<Event> events) {
        if (events == null || events.isEmpty()) {
            w(0, "Events:\t<none>\n");
            return;
        }
        tw.flush(); // the events table aligns on its own
        List<Event> sorted = new ArrayList<>(events);
        sorted.sort(Comparator.comparing((Event e) -> {
            Instant t = time(e.getLastTimestamp());
            return t == null ? Instant.EPOCH : t;
        }));
        w(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n");
        w(1, "----\t------\t----\t----\t-------\n");
        for (Event e : sorted) {
            String first = since(time(e.getFirstTimestamp()));
            int count = e.getCount() == null ? 1 : e.getCount();
            String interval = count > 1
                    ? since(time(e.getLastTimestamp())) + " (x" + count + " over " + first + ")" : first;
            String source = e.getSource() != null && nonEmpty(e.getSource().getComponent()) ? e.getSource().getComponent()
                    : str(e.getReportingComponent());
            w(1, "%s\t%s\t%s\t%s\t%s\n", e.getType(), e.getReason(), interval, source, str(e.getMessage()).strip());
        }
    }

    private String since(Instant t) {
        return t == null ? "<unknown>" : PodTable.humanDuration(Duration.between(t, now));
    }

    private String rfc1123z(Instant t) {
        return t == null ? "Mon, 01 Jan 0001 00:00:00 +0000" : RFC1123Z.format(t.atZone(zone));
    }

    private static String protocol(ContainerPort p) {
        return p.getProtocol() == null ? "TCP" : p.getProtocol();
    }

    private static String port(IntOrString p) {
        if (p == null) {
            return "";
        }
        return p.getStrVal() != null ? p.getStrVal() : String.valueOf(p.getIntVal());
    }

    private static Instant time(String rfc3339) {
        return PodTable.time(rfc3339);
    }

    private static int n(Integer i) {
        return i == null ? 0 : i;
    }

    private static long n(Long l) {
        return l == null ? 0 : l;
    }

    private static boolean nonEmpty(String s) {
        return s != null && !s.isEmpty();
    }

    private static String str(String s) {
        return s == null ? "" : s;
    }

    private static String orNone(String s) {
        return s == null || s.isEmpty() ? "<none>" : s;
    }
}
