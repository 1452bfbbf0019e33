package dev.skiff.kubelet.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KubeletServerTest {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final AtomicReference<Optional<String>> pleg = new AtomicReference<>(Optional.empty());
    private final List<Pod> pods = new ArrayList<>();
    private KubeletServer server;

    private KubeletServer start() throws IOException {
        List<Supplier<Optional<String>>> checks = List.of(() -> Optional.empty(), pleg::get);
        server = KubeletServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), checks, () -> List.copyOf(pods),
                () -> List.of(new ManifestError("/etc/kubernetes/manifests/bad.yaml", 3, "spec.containers[0].image: Required value")));
        return server;
    }

    @AfterEach
    void stop() {
        if (server != null) {
            assertTrue(server.close(Duration.ofSeconds(5)));
        }
    }

    private HttpResponse<String> send(String method, String path) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + server.address().getPort() + path);
        HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5))
                .method(method, method.equals("POST") ? HttpRequest.BodyPublishers.ofString("{}") : HttpRequest.BodyPublishers.noBody())
                .build();
        return http.send(req, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void extraListEndpointsAnswerJsonAndOthersStay404() throws Exception {
        server = KubeletServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), List.of(), List::of,
                List::of, java.util.Map.of("/persistentvolumes", () -> java.util.Map.of("kind", "PersistentVolumeList")));
        HttpResponse<String> r = send("GET", "/persistentvolumes");
        assertEquals(200, r.statusCode());
        assertEquals("{\"kind\":\"PersistentVolumeList\"}", r.body());
        assertEquals(404, send("GET", "/persistentvolumeclaims").statusCode());
        assertEquals(405, send("POST", "/persistentvolumes").statusCode());
    }

    @Test
    void healthzOkThenFailingWithTheReason() throws Exception {
        start();
        HttpResponse<String> ok = send("GET", "/healthz");
        assertEquals(200, ok.statusCode());
        assertEquals("ok", ok.body());
        pleg.set(Optional.of("pleg: last relist 4m ago"));
        HttpResponse<String> bad = send("GET", "/healthz");
        assertEquals(500, bad.statusCode());
        assertEquals("[-]pleg: last relist 4m ago\nhealthz check failed\n", bad.body());
    }

    @Test
    void podsIsAV1PodListWithStatuses() throws Exception {
        pods.add(new PodBuilder().withNewMetadata().withName("web-node-a").withNamespace("default").withUid("u1").endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("busybox").endContainer().endSpec()
                .withNewStatus().withPhase("Running").withPodIP("172.17.0.5").addNewContainerStatus().withName("app")
                .withRestartCount(2).withReady(true).withNewState().withNewRunning("2026-11-24T10:00:00Z").endState()
                .endContainerStatus().endStatus().build());
        start();
        HttpResponse<String> r = send("GET", "/pods");
        assertEquals(200, r.statusCode());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        JsonNode tree = new ObjectMapper().readTree(r.body());
        assertEquals("v1", tree.get("apiVersion").asText());
        assertEquals("PodList", tree.get("kind").asText());
        PodList list = new ObjectMapper().readValue(r.body(), PodList.class);
        assertEquals(1, list.getItems().size());
        Pod p = list.getItems().get(0);
        assertEquals("web-node-a", p.getMetadata().getName());
        assertEquals("Running", p.getStatus().getPhase());
        assertEquals("172.17.0.5", p.getStatus().getPodIP());
        assertEquals(2, p.getStatus().getContainerStatuses().get(0).getRestartCount());
        assertEquals("2026-11-24T10:00:00Z", p.getStatus().getContainerStatuses().get(0).getState().getRunning().getStartedAt());
    }

    @Test
    void emptyPodListStillCarriesAnEmptyItemsArray() throws Exception {
        start();
        var tree = new ObjectMapper().readTree(send("GET", "/pods").body());
        assertEquals("PodList", tree.path("kind").asText());
        assertEquals("v1", tree.path("apiVersion").asText());
        assertTrue(tree.has("metadata"), tree.toString());
        assertTrue(tree.path("items").isArray() && tree.path("items").isEmpty(), tree.toString());
    }

    @Test
    void manifestErrorsAreListed() throws Exception {
        start();
        HttpResponse<String> r = send("GET", "/manifests/errors");
        assertEquals(200, r.statusCode());
        JsonNode arr = new ObjectMapper().readTree(r.body());
        assertEquals(1, arr.size());
        assertEquals("/etc/kubernetes/manifests/bad.yaml", arr.get(0).get("file").asText());
        assertEquals(3, arr.get(0).get("line").asInt());
        assertEquals("spec.containers[0].image: Required value", arr.get(0).get("reason").asText());
    }

    @Test
    void unknownPathIs404AndPostIs405() throws Exception {
        start();
        assertEquals(404, send("GET", "/nope").statusCode());
        assertEquals(404, send("GET", "/pods/extra").statusCode());
        HttpResponse<String> post = send("POST", "/pods");
        assertEquals(405, post.statusCode());
        assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElse(""));
        assertEquals(405, send("DELETE", "/healthz").statusCode());
    }

    @Test
    void aFailingSupplierGives500() throws Exception {
        server = KubeletServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), List.of(), () -> {
            throw new IllegalStateException("status cache closed");
        }, List::of);
        HttpResponse<String> r = send("GET", "/pods");
        assertEquals(500, r.statusCode());
        assertEquals("internal error: status cache closed\n", r.body());
        assertEquals(200, send("GET", "/healthz").statusCode());
    }

    @Test
    void handlerThreadsAreNamed() throws Exception {
        AtomicReference<String> threadName = new AtomicReference<>();
        server = KubeletServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                List.of(() -> {
                    threadName.set(Thread.currentThread().getName());
                    return Optional.empty();
                }), List::of, List::of);
        assertEquals(200, send("GET", "/healthz").statusCode());
        assertTrue(threadName.get().startsWith("kubelet-http-"), threadName.get());
    }

    @Test
    void closeLetsARequestInFlightFinishAndIsQuick() throws Exception {
        java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        server = KubeletServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), List.of(), () -> {
            entered.countDown();
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return List.of();
        }, List::of);
        var pending = http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.address().getPort() + "/pods"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(entered.await(5, java.util.concurrent.TimeUnit.SECONDS));
        long t0 = System.nanoTime();
        // a close that waited out its whole delay, as the JDK's HttpServer.stop does, would take the full 120 s
        assertTrue(server.close(Duration.ofSeconds(120)));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        server = null;
        assertEquals(200, pending.get(60, java.util.concurrent.TimeUnit.SECONDS).statusCode());
        assertTrue(ms < 60_000, "close waited out its delay: " + ms + " ms");
    }

    @Test
    void closeStopsListening() throws Exception {
        start();
        int port = server.address().getPort();
        assertTrue(server.close(Duration.ofSeconds(2)));
        server = null;
        boolean refused;
        try {
            http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            refused = false;
        } catch (IOException e) {
            refused = true;
        }
        assertTrue(refused);
    }

    private KubeletServer startRoutes(List<Route> routes) throws IOException {
        threads = new HttpThreads();
        server = KubeletServer.start("test", new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), routes,
                Optional.empty(), threads);
        return server;
    }

    private HttpThreads threads;

    @AfterEach
    void stopThreads() {
        if (threads != null) {
            threads.close();
        }
    }

    @Test
    void parameterRoutesGiveTheirSegmentsAndNotFoundAndBadRequestTheirMessages() throws Exception {
        startRoutes(List.of(Route.get("/containerLogs/{ns}/{pod}/{container}", Route.Kind.DEBUGGING, (req, res) -> {
            if (req.param("pod").equals("missing")) {
                throw new Endpoint.NotFoundException("pod \"" + req.param("ns") + "/missing\" not found");
            }
            if (req.query().containsKey("tailLines")) {
                throw new Endpoint.BadRequestException("tailLines: not a number");
            }
            res.text(200, req.param("ns") + "|" + req.param("pod") + "|" + req.param("container"));
        })));
        HttpResponse<String> ok = send("GET", "/containerLogs/default/web%20x/app");
        assertEquals(200, ok.statusCode());
        assertEquals("default|web x|app", ok.body());
        HttpResponse<String> missing = send("GET", "/containerLogs/default/missing/app");
        assertEquals(404, missing.statusCode());
        assertEquals("pod \"default/missing\" not found\n", missing.body());
        HttpResponse<String> bad = send("GET", "/containerLogs/default/web/app?tailLines=x");
        assertEquals(400, bad.statusCode());
        assertEquals("tailLines: not a number\n", bad.body());
        assertEquals(404, send("GET", "/containerLogs/default/web").statusCode());
        // as Go's ServeMux: a path that is not clean is redirected to its clean form
        HttpResponse<String> doubled = send("GET", "/containerLogs/default//app?follow=true");
        assertEquals(301, doubled.statusCode());
        assertEquals("/containerLogs/default/app?follow=true", doubled.headers().firstValue("Location").orElse(""));
        HttpResponse<String> dotted = send("GET", "/containerLogs/default/../x/app");
        assertTrue(dotted.statusCode() == 301 || dotted.statusCode() == 404, dotted.statusCode() + " " + dotted.body());
    }

    @Test
    void aStreamIsChunkedAndItsWriterFailsOnceTheClientIsGone() throws Exception {
        java.util.concurrent.CompletableFuture<Throwable> writerEnded = new java.util.concurrent.CompletableFuture<>();
        startRoutes(List.of(Route.get("/follow", Route.Kind.DEFAULT, (req, res) -> {
            try (java.io.OutputStream out = res.stream(200, Response.TEXT)) {
                byte[] line = "a log line of some length to fill the socket buffers quickly\n".getBytes();
                while (true) {
                    out.write(line);
                    out.flush();
                }
            } catch (IOException e) {
                writerEnded.complete(e);
                throw e;
            } catch (RuntimeException e) {
                writerEnded.complete(e);
                throw e;
            }
        })));
        try (java.net.Socket s = new java.net.Socket(InetAddress.getLoopbackAddress(), server.address().getPort())) {
            s.getOutputStream().write("GET /follow HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
            byte[] head = s.getInputStream().readNBytes(200);
            String text = new String(head, java.nio.charset.StandardCharsets.ISO_8859_1);
            assertTrue(text.startsWith("HTTP/1.1 200 OK"), text);
            assertTrue(text.toLowerCase().contains("transfer-encoding: chunked"), text);
            // the client stops reading: the writer blocks (back-pressure) rather than buffering without bound
            Thread.sleep(500);
            assertTrue(!writerEnded.isDone(), "writer ended while the client was still connected");
        }
        Throwable t = writerEnded.get(90, java.util.concurrent.TimeUnit.SECONDS);
        assertTrue(t instanceof IOException, t.toString());
    }

    @Test
    void keepAliveAnswersSeveralRequestsOnOneConnectionAndHeadHasNoBody() throws Exception {
        start();
        try (java.net.Socket s = new java.net.Socket(InetAddress.getLoopbackAddress(), server.address().getPort())) {
            s.setSoTimeout(10_000);
            // two pipelined requests: answered in order on the same connection
            s.getOutputStream().write(("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").getBytes());
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream()));
            assertEquals("HTTP/1.1 200 OK", in.readLine());
            String line;
            boolean lengthTwo = false;
            while (!(line = in.readLine()).isEmpty()) {
                lengthTwo |= line.equalsIgnoreCase("content-length: 2");
            }
            assertTrue(lengthTwo, "HEAD keeps GET's Content-Length");
            assertEquals("HTTP/1.1 200 OK", in.readLine(), "HEAD sent a body");
            while (!(line = in.readLine()).isEmpty()) {
                // headers
            }
            char[] body = new char[2];
            assertEquals(2, in.read(body));
            assertEquals("ok", new String(body));
        }
    }
}
