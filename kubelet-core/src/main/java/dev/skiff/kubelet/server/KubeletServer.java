package dev.skiff.kubelet.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.ListMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The kubelet's read-only HTTP endpoint (upstream's read-only port, 127.0.0.1:10255 by default), on the
 * JDK's built-in server with its own small pool of named threads ({@code kubelet-http-N}).
 * <ul>
 *   <li>{@code GET /healthz}: 200 {@code ok}, or 500 listing each failing check as {@code [-]<message>}
 *       and a last line {@code healthz check failed} (the apiserver healthz text format);</li>
 *   <li>{@code GET /pods}: a v1 {@code PodList} of the pods with their statuses, JSON;</li>
 *   <li>{@code GET /manifests/errors}: JSON array of the manifest files that cannot be used,
 *       {@code [{"file":…,"line":…,"reason":…}]} (Skiff's own; upstream only logs them).</li>
 * </ul>
 * Other paths: 404; other methods on these paths: 405 with {@code Allow: GET, HEAD}.
 */
public final class KubeletServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KubeletServer.class);
    public static final int DEFAULT_READ_ONLY_PORT = 10255;
    private static final int THREADS = 4;

    private final HttpServer server;
    private final ThreadPoolExecutor executor;
    private final ObjectMapper json = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
    private final List<Supplier<Optional<String>>> checks;
    private final Supplier<List<Pod>> pods;
    private final Supplier<List<ManifestError>> manifestErrors;
    private final Map<String, Endpoint> lists;
    private final Object inFlightLock = new Object();
    private int inFlight;
    private final InetSocketAddress address;

    private KubeletServer(HttpServer server, List<Supplier<Optional<String>>> checks, Supplier<List<Pod>> pods,
                          Supplier<List<ManifestError>> manifestErrors, Map<String, Endpoint> lists) {
        this.server = server;
        this.checks = List.copyOf(checks);
        this.pods = pods;
        this.manifestErrors = manifestErrors;
        this.lists = Map.copyOf(lists);
        this.address = server.getAddress();
        AtomicInteger n = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(THREADS, THREADS, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(64), r -> {
            Thread t = new Thread(r, "kubelet-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.AbortPolicy());
        executor.allowCoreThreadTimeOut(true);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
    }

    /**
     * Binds {@code address} (port 0 picks a free port) and starts serving.
     *
     * @param checks         health checks: each gives empty when healthy, else what is wrong ("pleg: last relist 4m ago")
     * @param pods           the pods with their statuses (e.g. {@code StatusManager::pods})
     * @param manifestErrors the unusable manifest files (e.g. {@code () -> ManifestError.from(fileSource.errors())})
     */
    public static KubeletServer start(InetSocketAddress address, List<Supplier<Optional<String>>> checks,
                                      Supplier<List<Pod>> pods, Supplier<List<ManifestError>> manifestErrors)
            throws IOException {
        return start(address, checks, pods, manifestErrors, Map.of());
    }

    /**
     * {@link #start(InetSocketAddress, List, Supplier, Supplier)} with more read-only endpoints: path (e.g.
     * {@code /persistentvolumes}) → what it answers, as JSON (e.g. a v1 PersistentVolumeList).
     */
    public static KubeletServer start(InetSocketAddress address, List<Supplier<Optional<String>>> checks,
                                      Supplier<List<Pod>> pods, Supplier<List<ManifestError>> manifestErrors,
                                      Map<String, Supplier<?>> lists) throws IOException {
        Map<String, Endpoint> endpoints = new java.util.HashMap<>();
        lists.forEach((path, supplier) -> endpoints.put(path, Endpoint.of(supplier)));
        return serve(address, checks, pods, manifestErrors, endpoints);
    }

    /**
     * {@link #start(InetSocketAddress, List, Supplier, Supplier)} with more read-only endpoints that take query
     * parameters (e.g. {@code /events?pod=NS/NAME}).
     */
    public static KubeletServer serve(InetSocketAddress address, List<Supplier<Optional<String>>> checks,
                                      Supplier<List<Pod>> pods, Supplier<List<ManifestError>> manifestErrors,
                                      Map<String, Endpoint> lists) throws IOException {
        // The JDK server leaves Nagle on: a keep-alive client then waits ~40 ms for each response's delayed ACK.
        // Read once, when the JDK's server config class loads, so set before the first server is created.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        HttpServer server = HttpServer.create(address, 0);
        KubeletServer ks = new KubeletServer(server, checks, pods, manifestErrors, lists);
        server.start();
        log.info("Kubelet read-only server listening on {}", ks.address());
        return ks;
    }

    /** The bound address (with the real port when 0 was asked). */
    public InetSocketAddress address() {
        return address;
    }

    private void handle(HttpExchange ex) throws IOException {
        synchronized (inFlightLock) {
            inFlight++;
        }
        try {
            serve(ex);
        } finally {
            synchronized (inFlightLock) {
                inFlight--;
                inFlightLock.notifyAll();
            }
        }
    }

    private void serve(HttpExchange ex) throws IOException {
        try (ex) {
            try {
                route(ex);
            } catch (RuntimeException e) {
                // a supplier failed: answer 500 on the still-open exchange
                log.warn("HTTP {} {} failed: {}", ex.getRequestMethod(), ex.getRequestURI(), e.toString());
                send(ex, 500, "text/plain; charset=utf-8", "internal error: " + e.getMessage() + "\n");
            }
        }
    }

    private void route(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String method = ex.getRequestMethod();
        boolean known = path.equals("/healthz") || path.equals("/pods") || path.equals("/manifests/errors")
                || lists.containsKey(path);
        if (!known) {
            send(ex, 404, "text/plain; charset=utf-8", "404 page not found\n");
            return;
        }
        if (!method.equals("GET") && !method.equals("HEAD")) {
            ex.getResponseHeaders().set("Allow", "GET, HEAD");
            send(ex, 405, "text/plain; charset=utf-8", "405 method not allowed\n");
            return;
        }
        switch (path) {
            case "/healthz" -> healthz(ex);
            case "/pods" -> sendJson(ex, new PodList("v1", new ArrayList<>(pods.get()), "PodList", new ListMeta()));
            case "/manifests/errors" -> sendJson(ex, manifestErrors.get());
            default -> {
                try {
                    sendJson(ex, lists.get(path).answer(query(ex.getRequestURI().getRawQuery())));
                } catch (Endpoint.BadRequestException e) {
                    send(ex, 400, "text/plain; charset=utf-8", e.getMessage() + "\n");
                }
            }
        }
    }

    /** The first value of each query parameter, decoded. */
    static Map<String, String> query(String raw) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = java.net.URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.putIfAbsent(k, v);
        }
        return out;
    }

    private void sendJson(HttpExchange ex, Object body) throws IOException {
        Object tree = body instanceof KubernetesResourceList<?> list ? listWithItems(list) : body;
        send(ex, 200, "application/json", json.writeValueAsString(tree));
    }

    /**
     * A list as the API server writes it: {@code items} is always there, {@code []} when empty (the model omits
     * empty lists, and clients index {@code .items}).
     */
    private ObjectNode listWithItems(KubernetesResourceList<?> list) {
        ObjectNode tree = json.valueToTree(list);
        if (!tree.has("items")) {
            tree.putArray("items");
        }
        return tree;
    }

    private void healthz(HttpExchange ex) throws IOException {
        List<String> failing = new ArrayList<>();
        for (Supplier<Optional<String>> check : checks) {
            try {
                check.get().ifPresent(failing::add);
            } catch (RuntimeException e) {
                failing.add("check threw " + e);
            }
        }
        if (failing.isEmpty()) {
            send(ex, 200, "text/plain; charset=utf-8", "ok");
            return;
        }
        StringBuilder b = new StringBuilder();
        failing.forEach(f -> b.append("[-]").append(f).append('\n'));
        b.append("healthz check failed\n");
        log.warn("healthz failing: {}", String.join("; ", failing));
        send(ex, 500, "text/plain; charset=utf-8", b.toString());
    }

    private static void send(HttpExchange ex, int code, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(code, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /**
     * Lets exchanges in flight finish for up to {@code timeout}, then stops listening, closes the
     * connections and stops the threads. (JDK 17's {@code HttpServer.stop(delay)} always sleeps the whole
     * delay, so the wait for exchanges is done here and the server stopped with no delay.)
     */
    public boolean close(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean drained = true;
        try {
            synchronized (inFlightLock) {
                while (inFlight > 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        drained = false;
                        break;
                    }
                    TimeUnit.NANOSECONDS.timedWait(inFlightLock, left);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            drained = false;
        }
        server.stop(0);
        executor.shutdown();
        try {
            long left = Math.max(TimeUnit.MILLISECONDS.toNanos(100), deadline - System.nanoTime());
            boolean done = executor.awaitTermination(left, TimeUnit.NANOSECONDS);
            if (!done) {
                executor.shutdownNow();
            }
            log.info("Kubelet read-only server on {} stopped", address);
            return drained && done;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            executor.shutdownNow();
            return false;
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(1));
    }
}
