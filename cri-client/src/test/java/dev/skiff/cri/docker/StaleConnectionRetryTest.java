package dev.skiff.cri.docker;

import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.transport.DockerHttpClient.Request;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class StaleConnectionRetryTest {

    /** Fails with the queued errors first (as docker-java does: a RuntimeException around the IOException), then answers. */
    private static final class Scripted implements DockerHttpClient {
        final Deque<IOException> failures = new ArrayDeque<>();
        final Response ok = new Response() {
            @Override
            public int getStatusCode() {
                return 200;
            }

            @Override
            public Map<String, java.util.List<String>> getHeaders() {
                return Map.of();
            }

            @Override
            public InputStream getBody() {
                return new ByteArrayInputStream(new byte[0]);
            }

            @Override
            public void close() {
            }
        };
        int calls;

        Scripted failing(int n, String message) {
            for (int i = 0; i < n; i++) {
                failures.add(new IOException(message));
            }
            return this;
        }

        @Override
        public Response execute(Request request) {
            calls++;
            IOException e = failures.poll();
            if (e != null) {
                throw new RuntimeException(e);
            }
            return ok;
        }

        @Override
        public void close() {
        }
    }

    private static Request get() {
        return Request.builder().method(Request.Method.GET).path("/v1.41/containers/json?all=1").build();
    }

    private static Request post(byte[] body) {
        return Request.builder().method(Request.Method.POST).path("/v1.41/containers/create").bodyBytes(body).build();
    }

    @Test
    void everyDeadPooledConnectionIsDroppedAndTheCallSentAgain() {
        Scripted docker = new Scripted().failing(5, "Broken pipe");
        StaleConnectionRetry client = new StaleConnectionRetry(docker, 10);
        assertSame(docker.ok, client.execute(get()));
        assertEquals(6, docker.calls);
        Scripted create = new Scripted().failing(2, "Broken pipe");
        assertSame(create.ok, new StaleConnectionRetry(create, 10).execute(post("{}".getBytes(StandardCharsets.UTF_8))));
        assertEquals(3, create.calls);
    }

    @Test
    void aResetIsRetriedOnlyForReads() {
        Scripted reads = new Scripted().failing(1, "Connection reset by peer");
        assertSame(reads.ok, new StaleConnectionRetry(reads, 10).execute(get()));
        Scripted writes = new Scripted().failing(1, "Connection reset by peer");
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> new StaleConnectionRetry(writes, 10).execute(post(new byte[0])));
        assertEquals("Connection reset by peer", e.getCause().getMessage());
        assertEquals(1, writes.calls);
    }

    @Test
    void aDaemonThatIsDownFailsAtOnce() {
        Scripted docker = new Scripted();
        docker.failures.add(new ConnectException("No such file or directory"));
        RuntimeException e = assertThrows(RuntimeException.class, () -> new StaleConnectionRetry(docker, 10).execute(get()));
        assertEquals(ConnectException.class, e.getCause().getClass());
        assertEquals(1, docker.calls);
    }

    @Test
    void aStreamedBodyIsNeverSentTwice() {
        Scripted docker = new Scripted().failing(1, "Broken pipe");
        Request load = Request.builder().method(Request.Method.POST).path("/v1.41/images/load")
                .body(new ByteArrayInputStream(new byte[10])).build();
        assertThrows(RuntimeException.class, () -> new StaleConnectionRetry(docker, 10).execute(load));
        assertEquals(1, docker.calls);
    }

    @Test
    void retriesAreBounded() {
        Scripted docker = new Scripted().failing(20, "Broken pipe");
        assertThrows(RuntimeException.class, () -> new StaleConnectionRetry(docker, 3).execute(get()));
        assertEquals(4, docker.calls);
    }
}
