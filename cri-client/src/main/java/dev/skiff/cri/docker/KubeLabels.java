package dev.skiff.cri.docker;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The Docker labels the shim keeps its state in (the keys cri-dockerd uses, plus a few of our
 * own), so that everything CRI asks about can be rebuilt from Docker alone after a restart.
 */
public final class KubeLabels {
    public static final String POD_NAME = "io.kubernetes.pod.name";
    public static final String POD_NAMESPACE = "io.kubernetes.pod.namespace";
    public static final String POD_UID = "io.kubernetes.pod.uid";
    public static final String CONTAINER_NAME = "io.kubernetes.container.name";
    public static final String TYPE = "io.kubernetes.docker.type";
    public static final String TYPE_SANDBOX = "podsandbox";
    public static final String TYPE_CONTAINER = "container";
    public static final String SANDBOX_ID = "io.kubernetes.sandbox.id";
    public static final String LOG_PATH = "io.kubernetes.container.logpath";
    public static final String SANDBOX_LOG_DIRECTORY = "io.kubernetes.sandbox.logdirectory";
    /** The sandbox's NamespaceOption, e.g. {@code network=POD,pid=CONTAINER,ipc=POD}. */
    public static final String SANDBOX_NAMESPACES = "io.skiff.sandbox.namespaces";
    public static final String RUNTIME_HANDLER = "io.skiff.runtime-handler";
    public static final String ANNOTATION_PREFIX = "annotation.";

    /** Labels the shim adds for itself; never reported back as CRI labels. */
    private static final Set<String> INTERNAL = Set.of(TYPE, SANDBOX_ID, LOG_PATH, SANDBOX_LOG_DIRECTORY,
            SANDBOX_NAMESPACES, RUNTIME_HANDLER);

    private KubeLabels() {}

    /** Docker labels for CRI labels and annotations (annotations as {@code annotation.<key>}). */
    public static Map<String, String> toDocker(Map<String, String> criLabels, Map<String, String> criAnnotations) {
        Map<String, String> out = new HashMap<>(criLabels);
        criAnnotations.forEach((k, v) -> out.put(ANNOTATION_PREFIX + k, v));
        return out;
    }

    /** The CRI labels among Docker labels: everything but annotations and the shim's own keys. */
    public static Map<String, String> criLabels(Map<String, String> docker) {
        Map<String, String> out = new HashMap<>();
        if (docker != null) {
            docker.forEach((k, v) -> {
                if (!k.startsWith(ANNOTATION_PREFIX) && !INTERNAL.contains(k)) {
                    out.put(k, v);
                }
            });
        }
        return out;
    }

    /** The CRI annotations among Docker labels. */
    public static Map<String, String> criAnnotations(Map<String, String> docker) {
        Map<String, String> out = new HashMap<>();
        if (docker != null) {
            docker.forEach((k, v) -> {
                if (k.startsWith(ANNOTATION_PREFIX)) {
                    out.put(k.substring(ANNOTATION_PREFIX.length()), v);
                }
            });
        }
        return out;
    }

    /** True when every selector pair is among the labels (CRI label_selector semantics: AND of equalities). */
    public static boolean matches(Map<String, String> labels, Map<String, String> selector) {
        for (Map.Entry<String, String> e : selector.entrySet()) {
            if (labels == null || !e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }
}
