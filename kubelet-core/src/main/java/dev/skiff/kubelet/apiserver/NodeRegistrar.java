package dev.skiff.kubelet.apiserver;

import dev.skiff.kubelet.config.NodeLabels;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.HttpURLConnection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Registers the Node as upstream's tryRegisterWithAPIServer: create it; when it exists already (a re-installed host,
 * a node object made ahead), take it over: get it and reconcile the labels and annotation the kubelet owns.
 */
final class NodeRegistrar {
    private static final Logger log = LoggerFactory.getLogger(NodeRegistrar.class);
    /** The labels upstream's updateDefaultLabels keeps in step on an existing Node. */
    static final List<String> DEFAULT_LABELS = List.of(NodeLabels.HOSTNAME, NodeLabels.OS, NodeLabels.ARCH,
            NodeLabels.LEGACY_OS, NodeLabels.LEGACY_ARCH);
    static final String CONTROLLER_MANAGED_ATTACH_DETACH = "volumes.kubernetes.io/controller-managed-attach-detach";

    private final KubernetesClient client;
    private final NodeDescription description;

    NodeRegistrar(KubernetesClient client, NodeDescription description) {
        this.client = client;
        this.description = description;
    }

    /** The registered Node, or empty when this attempt failed (logged; the caller retries with back-off). */
    Optional<Node> register() {
        Node initial = NodeObjects.initialNode(description);
        try {
            Node created = client.nodes().resource(initial).create();
            log.info("node {} registered with the API server (uid {})", description.nodeName(),
                    created.getMetadata().getUid());
            return Optional.of(created);
        } catch (KubernetesClientException e) {
            if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
                log.warn("unable to register node {} with the API server: {}", description.nodeName(), brief(e));
                return Optional.empty();
            }
        }
        try {
            Node existing = client.nodes().withName(description.nodeName()).get();
            if (existing == null) {
                log.warn("unable to register node {}: it exists, yet reading it found nothing", description.nodeName());
                return Optional.empty();
            }
            Map<String, Object> metadataPatch = reconcile(existing, initial);
            if (!metadataPatch.isEmpty()) {
                existing = client.nodes().withName(description.nodeName()).patch(PatchContext.of(PatchType.JSON_MERGE),
                        Json.write(client, Map.of("metadata", metadataPatch)));
            }
            log.info("node {} was registered before (uid {}): taken over{}", description.nodeName(),
                    existing.getMetadata().getUid(), metadataPatch.isEmpty() ? "" : ", reconciled " + metadataPatch.keySet());
            return Optional.of(existing);
        } catch (KubernetesClientException e) {
            log.warn("unable to take over the existing node {}: {}", description.nodeName(), brief(e));
            return Optional.empty();
        }
    }

    /** The metadata merge patch that brings the default labels and the attach-detach annotation in line; empty if none. */
    static Map<String, Object> reconcile(Node existing, Node initial) {
        Map<String, String> have = Optional.ofNullable(existing.getMetadata().getLabels()).orElse(Map.of());
        Map<String, String> labels = new LinkedHashMap<>();
        for (String key : DEFAULT_LABELS) {
            String want = initial.getMetadata().getLabels().get(key);
            if (want != null && !want.equals(have.get(key))) {
                labels.put(key, want);
            }
        }
        Map<String, Object> patch = new LinkedHashMap<>();
        if (!labels.isEmpty()) {
            patch.put("labels", labels);
        }
        Map<String, String> annotations = Optional.ofNullable(existing.getMetadata().getAnnotations()).orElse(Map.of());
        if (!"true".equals(annotations.get(CONTROLLER_MANAGED_ATTACH_DETACH))) {
            patch.put("annotations", Map.of(CONTROLLER_MANAGED_ATTACH_DETACH, "true"));
        }
        return patch;
    }

    /** One line: the status code and the server's message (never a request or response body). */
    static String brief(KubernetesClientException e) {
        String m = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage()
                : e.getCause() != null ? e.getCause().toString() : e.getMessage();
        return (e.getCode() > 0 ? e.getCode() + " " : "") + m;
    }
}
