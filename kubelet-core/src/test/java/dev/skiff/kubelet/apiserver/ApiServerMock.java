package dev.skiff.kubelet.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * fabric8's mock API server in CRUD mode (it keeps objects and serves watches), made to behave as kube-apiserver where
 * a kubelet meets it: bearer tokens authenticate (the node's, an admin's; anything else is 401) and the node is held
 * to what the Node authorizer and NodeRestriction let a node do (anything else is 403, with kube-apiserver's Status).
 * It can be stopped and started again on the same port with the same objects (a partition). docs/apiserver.md says
 * where it still differs from a real server.
 */
public final class ApiServerMock implements AutoCloseable {
    public static final String ADMIN_TOKEN = "admin-token";
    public static final String NODE_TOKEN = "node-token";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NODE = Pattern.compile("/api/v1/nodes/([^/]+)(/status)?");
    private static final Pattern LEASE = Pattern.compile(
            "/apis/coordination\\.k8s\\.io/v1/namespaces/kube-node-lease/leases(?:/([^/]+))?");
    private static final Pattern POD = Pattern.compile("/api/v1/namespaces/([^/]+)/pods/([^/]+)(/status)?");
    private static final Pattern PODS = Pattern.compile("/api/v1/namespaces/([^/]+)/pods");
    private static final Pattern EVENTS = Pattern.compile("/api/v1/namespaces/([^/]+)/events(/[^/]+)?");

    private final String nodeName;
    private final KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
    private final List<String> refused = new CopyOnWriteArrayList<>();
    private final List<String> nodeRequests = new CopyOnWriteArrayList<>();
    private final int port;
    private KubernetesMockServer server;

    /** Starts serving on a free loopback port, for node {@code nodeName}. */
    public ApiServerMock(String nodeName) throws IOException {
        this.nodeName = nodeName;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            this.port = s.getLocalPort();
        }
        start();
    }

    /** (Re)starts on the same port with the objects kept. */
    public synchronized void start() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new Restricting(), false);
        server.init(InetAddress.getLoopbackAddress(), port);
    }

    /** Stops serving (connections are refused) until {@link #start()}. */
    public synchronized void stop() {
        if (server != null) {
            server.destroy();
            server = null;
        }
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** A client with the admin's token: what a user's kubectl may do. */
    public KubernetesClient adminClient() {
        Config c = new ConfigBuilder(Config.empty()).withMasterUrl(url()).withOauthToken(ADMIN_TOKEN)
                .withNamespace("default").withRequestRetryBackoffLimit(0).build();
        return new KubernetesClientBuilder().withConfig(c).build();
    }

    /** A client with the node's token (as the kubelet's). */
    public KubernetesClient nodeClient() {
        Config c = new ConfigBuilder(Config.empty()).withMasterUrl(url()).withOauthToken(NODE_TOKEN)
                .withRequestRetryBackoffLimit(0).build();
        return ApiServerClients.withTimeouts(c);
    }

    /** A kubeconfig file for the node, as an admin would hand it to a kubelet. */
    public Path writeKubeconfig(Path file) throws IOException {
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: mock
                  cluster: {server: "%s"}
                users:
                - name: node
                  user: {token: %s}
                contexts:
                - name: node@mock
                  context: {cluster: mock, user: node}
                current-context: node@mock
                """.formatted(url(), NODE_TOKEN));
        return file;
    }

    /** "METHOD path" of every request the node was refused (403), in order. */
    public List<String> refused() {
        return List.copyOf(refused);
    }

    /** "METHOD path" of every request the node made, in order. */
    public List<String> nodeRequests() {
        return List.copyOf(nodeRequests);
    }

    @Override
    public void close() {
        stop();
    }

    /** Authentication, then the node's restrictions, then the CRUD store. */
    private final class Restricting extends Dispatcher {
        @Override
        public MockResponse dispatch(RecordedRequest request) {
            String auth = request.getHeader("Authorization");
            if (("Bearer " + ADMIN_TOKEN).equals(auth)) {
                return request.getMethod().equalsIgnoreCase("GET") ? crud.dispatch(request) : dispatchWrite(request);
            }
            if (!("Bearer " + NODE_TOKEN).equals(auth)) {
                return status(401, "Unauthorized", "Unauthorized");
            }
            String line = request.getMethod() + " " + request.getPath();
            nodeRequests.add(line);
            String why = forbidden(request);
            if (why != null) {
                refused.add(line);
                return status(403, "Forbidden", why);
            }
            return request.getMethod().equalsIgnoreCase("GET") ? crud.dispatch(request) : dispatchWrite(request);
        }

        /**
         * The mock answers a strategic merge patch with 415, and applies a JSON merge patch by appending to lists (RFC
         * 7386 replaces them). Both are applied here as RFC 7386 says, then stored with a PUT of the result at the
         * current resourceVersion. A strategic merge patch is thereby a merge patch: lists are replaced, not merged by
         * key (the kubelet sends whole lists, so the objects come out as on a real server).
         */
        private MockResponse dispatchWrite(RecordedRequest r) {
            synchronized (crud) {
                String type = r.getHeader("Content-Type");
                boolean merge = type != null && (type.startsWith("application/strategic-merge-patch+json")
                        || type.startsWith("application/merge-patch+json"));
                if (!r.getMethod().equalsIgnoreCase("PATCH") || !merge) {
                    return crud.dispatch(r);
                }
                String path = r.getPath().contains("?") ? r.getPath().substring(0, r.getPath().indexOf('?')) : r.getPath();
                String object = path.endsWith("/status") ? path.substring(0, path.length() - "/status".length()) : path;
                MockResponse current = crud.handleGet(object);
                JsonNode patch = body(r);
                if (current.code() != 200 || patch == null) {
                    return current.code() != 200 ? current : status(400, "BadRequest", "invalid patch");
                }
                try {
                    JsonNode merged = MergePatch.apply(JSON.readTree(current.getBody().readUtf8()), patch);
                    return crud.dispatch(new RecordedRequest(r.getHttpVersion(), HttpMethod.PUT, r.getPath(),
                            r.getHeaders().newBuilder().set("Content-Type", "application/json").build(),
                            new Buffer(JSON.writeValueAsBytes(merged))));
                } catch (IOException e) {
                    return status(400, "BadRequest", "invalid patch: " + e.getMessage());
                }
            }
        }

        /** Null when the node may do it, else kube-apiserver's message. */
        private String forbidden(RecordedRequest r) {
            String method = r.getMethod().toUpperCase();
            String full = r.getPath();
            String path = full.contains("?") ? full.substring(0, full.indexOf('?')) : full;
            String user = "User \"system:node:" + nodeName + "\"";
            boolean read = method.equals("GET");
            Matcher m;
            if (path.equals("/api/v1/nodes")) {
                if (read) {
                    return null;
                }
                return method.equals("POST") && nodeName.equals(bodyName(r)) ? null
                        : "nodes is forbidden: " + user + " may only create its own Node";
            }
            if ((m = NODE.matcher(path)).matches()) {
                return read || m.group(1).equals(nodeName) ? null
                        : "nodes \"" + m.group(1) + "\" is forbidden: node \"" + nodeName + "\" is not allowed to modify node \""
                        + m.group(1) + "\"";
            }
            if ((m = LEASE.matcher(path)).matches()) {
                String name = m.group(1) != null ? m.group(1) : method.equals("POST") ? bodyName(r) : null;
                return nodeName.equals(name) ? null : "leases.coordination.k8s.io is forbidden: " + user
                        + " can only access its own lease";
            }
            if (path.equals("/api/v1/pods") && read) {
                String query = full.contains("?") ? URLDecoder.decode(full.substring(full.indexOf('?') + 1),
                        StandardCharsets.UTF_8) : "";
                return query.contains("spec.nodeName=" + nodeName) ? null
                        : "pods is forbidden: " + user + " can only list pods with fieldSelector spec.nodeName=" + nodeName;
            }
            if ((m = EVENTS.matcher(path)).matches()) {
                return method.equals("POST") || method.equals("PATCH") ? null : "events is forbidden: " + user;
            }
            if ((m = PODS.matcher(path)).matches() && method.equals("POST")) {
                JsonNode pod = body(r);
                boolean mirror = pod != null && pod.path("metadata").path("annotations").has("kubernetes.io/config.mirror");
                boolean here = pod != null && nodeName.equals(pod.path("spec").path("nodeName").asText());
                return mirror && here ? null : "pods is forbidden: pod does not have \"kubernetes.io/config.mirror\" "
                        + "annotation, node \"" + nodeName + "\" can only create mirror pods";
            }
            if ((m = POD.matcher(path)).matches()) {
                String stored = storedNodeName(m.group(1), m.group(2));
                if (read) {
                    return stored == null || stored.equals(nodeName) ? null : "pods \"" + m.group(2) + "\" is forbidden: "
                            + user + " cannot get pod bound to another node";
                }
                boolean status = m.group(3) != null;
                if ((status && (method.equals("PATCH") || method.equals("PUT"))) || (!status && method.equals("DELETE"))) {
                    return stored == null || stored.equals(nodeName) ? null : "pods \"" + m.group(2) + "\" is forbidden: "
                            + "node \"" + nodeName + "\" can only " + (status ? "update the status of" : "delete")
                            + " pods bound to it";
                }
                return "pods \"" + m.group(2) + "\" is forbidden: " + user + " cannot " + method.toLowerCase()
                        + " pods" + (status ? "/status" : "");
            }
            return path + " is forbidden: " + user + " cannot " + method.toLowerCase() + " it";
        }

        private String storedNodeName(String namespace, String name) {
            MockResponse got = crud.handleGet("/api/v1/namespaces/" + namespace + "/pods/" + name);
            if (got.code() != 200) {
                return null;
            }
            try {
                return JSON.readTree(got.getBody().readUtf8()).path("spec").path("nodeName").asText("");
            } catch (IOException e) {
                return "";
            }
        }

        private JsonNode body(RecordedRequest r) {
            try {
                // getBytes, not getUtf8Body: that one consumes the body the store still has to read
                return r.getBody() == null ? null : JSON.readTree(new String(r.getBody().getBytes(), StandardCharsets.UTF_8));
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }

        private String bodyName(RecordedRequest r) {
            JsonNode b = body(r);
            return b == null ? null : b.path("metadata").path("name").asText(null);
        }

        private MockResponse status(int code, String reason, String message) {
            Map<String, Object> s = Map.of("kind", "Status", "apiVersion", "v1", "metadata", Map.of(),
                    "status", "Failure", "message", message, "reason", reason, "code", code);
            try {
                return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json")
                        .setBody(JSON.writeValueAsString(s));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
