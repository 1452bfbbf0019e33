package dev.skiff.kubelet.kuberuntime;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skiff.kubelet.pod.ContainerSpecHash;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The labels and annotations the kubelet puts on CRI sandboxes and containers, upstream's names
 * (pkg/kubelet/kuberuntime/labels.go). Labels identify (pod name/namespace/uid, container name);
 * annotations carry what the kubelet needs back after a restart (hash, restart count, …).
 */
public final class KubeAnnotations {
    // labels (pkg/kubelet/types/labels.go)
    public static final String POD_NAME = "io.kubernetes.pod.name";
    public static final String POD_NAMESPACE = "io.kubernetes.pod.namespace";
    public static final String POD_UID = "io.kubernetes.pod.uid";
    public static final String CONTAINER_NAME = "io.kubernetes.container.name";

    // container annotations (pkg/kubelet/kuberuntime/labels.go)
    public static final String CONTAINER_HASH = "io.kubernetes.container.hash";
    public static final String CONTAINER_RESTART_COUNT = "io.kubernetes.container.restartCount";
    public static final String CONTAINER_TERMINATION_MESSAGE_PATH = "io.kubernetes.container.terminationMessagePath";
    public static final String CONTAINER_TERMINATION_MESSAGE_POLICY = "io.kubernetes.container.terminationMessagePolicy";
    public static final String POD_DELETION_GRACE_PERIOD = "io.kubernetes.pod.deletionGracePeriod";
    public static final String POD_TERMINATION_GRACE_PERIOD = "io.kubernetes.pod.terminationGracePeriod";
    public static final String CONTAINER_PORTS = "io.kubernetes.container.ports";
    public static final String CONTAINER_PRESTOP_HANDLER = "io.kubernetes.container.preStopHandler";

    /** Grace period assumed when a container carries none (the API default). */
    public static final long DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;

    private static final ObjectMapper JSON = new ObjectMapper();

    private KubeAnnotations() {
    }

    /** What the kubelet wrote on a sandbox, read back from a CRI PodSandbox's labels. Missing → "". */
    public record SandboxInfo(String podName, String podNamespace, String podUid) {
        public static SandboxInfo from(Map<String, String> labels) {
            return new SandboxInfo(labels.getOrDefault(POD_NAME, ""), labels.getOrDefault(POD_NAMESPACE, ""),
                    labels.getOrDefault(POD_UID, ""));
        }
    }

    /**
     * What the kubelet wrote on a container, read back from a CRI Container/ContainerStatus's
     * labels+annotations. Missing values → name "" / hash "" / restartCount 0 / grace 30.
     */
    public record ContainerInfo(String name, String hash, int restartCount, String terminationMessagePath,
                                String terminationMessagePolicy, long podTerminationGracePeriodSeconds) {
        public static ContainerInfo from(Map<String, String> labels, Map<String, String> annotations) {
            Map<String, String> l = labels == null ? Map.of() : labels;
            Map<String, String> a = annotations == null ? Map.of() : annotations;
            return new ContainerInfo(
                    l.getOrDefault(CONTAINER_NAME, ""),
                    a.getOrDefault(CONTAINER_HASH, ""),
                    (int) parseLong(a.get(CONTAINER_RESTART_COUNT), 0),
                    a.getOrDefault(CONTAINER_TERMINATION_MESSAGE_PATH, ""),
                    a.getOrDefault(CONTAINER_TERMINATION_MESSAGE_POLICY, ""),
                    parseLong(a.get(POD_TERMINATION_GRACE_PERIOD), DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS));
        }
    }

    /** Sandbox labels: the pod's own labels plus name/namespace/uid (upstream newPodLabels). */
    public static Map<String, String> podLabels(Pod pod) {
        Map<String, String> out = new LinkedHashMap<>();
        if (pod.getMetadata().getLabels() != null) {
            out.putAll(pod.getMetadata().getLabels());
        }
        out.put(POD_NAME, nz(pod.getMetadata().getName()));
        out.put(POD_NAMESPACE, nz(pod.getMetadata().getNamespace()));
        out.put(POD_UID, nz(pod.getMetadata().getUid()));
        return out;
    }

    /** Sandbox annotations: a copy of the pod's annotations (upstream newPodAnnotations). */
    public static Map<String, String> podAnnotations(Pod pod) {
        Map<String, String> out = new LinkedHashMap<>();
        if (pod.getMetadata().getAnnotations() != null) {
            out.putAll(pod.getMetadata().getAnnotations());
        }
        return out;
    }

    /** Container labels: pod name/namespace/uid and container name, not the pod's labels (upstream newContainerLabels). */
    public static Map<String, String> containerLabels(Container container, Pod pod) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put(POD_NAME, nz(pod.getMetadata().getName()));
        out.put(POD_NAMESPACE, nz(pod.getMetadata().getNamespace()));
        out.put(POD_UID, nz(pod.getMetadata().getUid()));
        out.put(CONTAINER_NAME, container.getName());
        return out;
    }

    /** Container annotations (upstream newContainerAnnotations). */
    public static Map<String, String> containerAnnotations(Container container, Pod pod, int restartCount) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put(CONTAINER_HASH, ContainerSpecHash.of(container));
        out.put(CONTAINER_RESTART_COUNT, Integer.toString(restartCount));
        out.put(CONTAINER_TERMINATION_MESSAGE_PATH, nz(container.getTerminationMessagePath()));
        out.put(CONTAINER_TERMINATION_MESSAGE_POLICY, nz(container.getTerminationMessagePolicy()));
        if (pod.getMetadata().getDeletionGracePeriodSeconds() != null) {
            out.put(POD_DELETION_GRACE_PERIOD, pod.getMetadata().getDeletionGracePeriodSeconds().toString());
        }
        if (pod.getSpec().getTerminationGracePeriodSeconds() != null) {
            out.put(POD_TERMINATION_GRACE_PERIOD, pod.getSpec().getTerminationGracePeriodSeconds().toString());
        }
        if (container.getLifecycle() != null && container.getLifecycle().getPreStop() != null) {
            out.put(CONTAINER_PRESTOP_HANDLER, toJson(container.getLifecycle().getPreStop()));
        }
        if (container.getPorts() != null && !container.getPorts().isEmpty()) {
            out.put(CONTAINER_PORTS, portsJson(container));
        }
        return out;
    }

    /** Ports as Go's encoding/json writes []v1.ContainerPort: field order name, hostPort, containerPort, protocol, hostIP; empty ones omitted. */
    static String portsJson(Container container) {
        ArrayNode arr = JSON.createArrayNode();
        for (ContainerPort p : container.getPorts()) {
            ObjectNode o = arr.addObject();
            if (p.getName() != null && !p.getName().isEmpty()) {
                o.put("name", p.getName());
            }
            if (p.getHostPort() != null && p.getHostPort() != 0) {
                o.put("hostPort", p.getHostPort());
            }
            o.put("containerPort", p.getContainerPort() == null ? 0 : p.getContainerPort());
            if (p.getProtocol() != null && !p.getProtocol().isEmpty()) {
                o.put("protocol", p.getProtocol());
            }
            if (p.getHostIP() != null && !p.getHostIP().isEmpty()) {
                o.put("hostIP", p.getHostIP());
            }
        }
        return toJson(arr);
    }

    private static String toJson(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + o.getClass().getSimpleName(), e);
        }
    }

    private static long parseLong(String s, long dflt) {
        if (s == null || s.isEmpty()) {
            return dflt;
        }
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
