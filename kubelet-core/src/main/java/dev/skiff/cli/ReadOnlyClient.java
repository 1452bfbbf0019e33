package dev.skiff.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** What the {@code skiff pods} and {@code skiff describe} commands read: the kubelet's read-only endpoint, as JSON. */
final class ReadOnlyClient {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    static final Duration READ_TIMEOUT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final URI base;
    private final HttpClient client;
    private final String token;
    private final String hint;

    private ReadOnlyClient(URI base, HttpClient client, String token, String hint) {
        this.base = base;
        this.client = client;
        this.token = token;
        this.hint = hint;
    }

    private ReadOnlyClient(URI base) {
        this(base, HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build(), null, "this --read-only-port");
    }

    /** The secure port at {@code base} (https), with {@code tls} and the bearer {@code token}. */
    static ReadOnlyClient secure(URI base, javax.net.ssl.SSLContext tls, String token) {
        return new ReadOnlyClient(base, HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).sslContext(tls).build(),
                token, "this --server");
    }

    /** {@code server} when given (an http(s) URL), else loopback on {@code port}. */
    static ReadOnlyClient of(String server, int port) {
        String url = server != null ? server : "http://127.0.0.1:" + port;
        try {
            URI uri = URI.create(url.replaceAll("/+$", ""));
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                throw new IllegalArgumentException("not an http(s) URL");
            }
            return new ReadOnlyClient(uri);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad --server '" + url + "': " + e.getMessage(), e);
        }
    }

    /**
     * GET {@code pathAndQuery} as a {@code type}.
     *
     * @throws IOException with a one-line reason naming the URL: refused, timed out, not 200, not that JSON
     */
    <T> T get(String pathAndQuery, Class<T> type, String what) throws IOException, InterruptedException {
        URI uri = URI.create(base + pathAndQuery);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(READ_TIMEOUT).header("Accept", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpRequest request = b.GET().build();
        HttpResponse<byte[]> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException e) {
            throw new IOException("cannot reach the kubelet at " + uri
                    + ": connection refused (is skiff running with " + hint + "?)", e);
        } catch (HttpTimeoutException e) {
            throw new IOException("the kubelet at " + uri + " did not answer in time: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new IOException("cannot read " + what + " from " + uri + ": "
                    + (e.getMessage() == null ? e.toString() : e.getMessage()), e);
        }
        if (response.statusCode() != 200) {
            String first = new String(response.body(), StandardCharsets.UTF_8).strip().lines().findFirst().orElse("");
            throw new IOException("cannot read " + what + " from " + uri + ": HTTP " + response.statusCode()
                    + (first.isEmpty() ? "" : ": " + first));
        }
        try {
            return JSON.readValue(response.body(), type);
        } catch (JsonProcessingException e) {
            throw new IOException("cannot read " + what + " from " + uri + ": the answer is not a "
                    + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
        }
    }
}
