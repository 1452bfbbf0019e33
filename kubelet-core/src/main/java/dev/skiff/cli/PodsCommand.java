package dev.skiff.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skiff.kubelet.server.PodTable;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code skiff pods}: the running kubelet's pods as {@code kubectl get pods} prints them, read from its
 * read-only endpoint ({@code GET /pods}, a v1 PodList).
 */
@Command(name = "pods", mixinStandardHelpOptions = true, versionProvider = SkiffVersion.class,
        description = "List the pods of the Skiff kubelet running on this node (NAME READY STATUS RESTARTS AGE).")
final class PodsCommand implements Callable<Integer> {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    static final Duration READ_TIMEOUT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--read-only-port", paramLabel = "PORT", defaultValue = "10255",
            description = "The kubelet's read-only port on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
    int readOnlyPort;

    @Option(names = "--server", paramLabel = "URL",
            description = "The kubelet's read-only endpoint; overrides --read-only-port (default: http://127.0.0.1:<read-only-port>).")
    String server;

    /** The clock AGE is computed against; tests fix it. */
    Clock clock = Clock.systemUTC();

    @Override
    public Integer call() {
        String base = server != null ? server : "http://127.0.0.1:" + readOnlyPort;
        URI uri;
        try {
            uri = URI.create(base.replaceAll("/+$", "") + "/pods");
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                throw new IllegalArgumentException("not an http(s) URL");
            }
        } catch (IllegalArgumentException e) {
            return fail("bad --server '" + base + "': " + e.getMessage());
        }
        List<Pod> pods;
        try {
            pods = fetch(uri);
        } catch (ConnectException e) {
            return fail("cannot reach the kubelet at " + uri + ": connection refused (is skiff running with this --read-only-port?)");
        } catch (HttpTimeoutException e) {
            return fail("the kubelet at " + uri + " did not answer in time: " + e.getMessage());
        } catch (IOException e) {
            return fail("cannot read pods from " + uri + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted while reading " + uri);
        }
        String table = PodTable.format(pods, clock.instant());
        if (pods.isEmpty()) {
            spec.commandLine().getErr().print(table); // kubectl says "No resources found" on stderr
            spec.commandLine().getErr().flush();
        } else {
            spec.commandLine().getOut().print(table);
            spec.commandLine().getOut().flush();
        }
        return 0;
    }

    private static List<Pod> fetch(URI uri) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(READ_TIMEOUT)
                .header("Accept", "application/json").GET().build();
        HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            String body = new String(response.body(), StandardCharsets.UTF_8).strip();
            String first = body.lines().findFirst().orElse("");
            throw new IOException("HTTP " + response.statusCode() + (first.isEmpty() ? "" : ": " + first));
        }
        PodList list;
        try {
            list = JSON.readValue(response.body(), PodList.class);
        } catch (JsonProcessingException e) {
            throw new IOException("the answer is not a PodList: " + e.getOriginalMessage(), e);
        }
        if (list == null || list.getItems() == null) {
            return List.of();
        }
        // kubectl lists in the API server's order: namespace, then name.
        return list.getItems().stream()
                .filter(p -> p.getMetadata() != null && p.getSpec() != null)
                .sorted(Comparator.comparing((Pod p) -> String.valueOf(p.getMetadata().getNamespace()))
                        .thenComparing(p -> String.valueOf(p.getMetadata().getName())))
                .toList();
    }

    private int fail(String message) {
        spec.commandLine().getErr().println("skiff pods: " + message);
        spec.commandLine().getErr().flush();
        return 1;
    }
}
