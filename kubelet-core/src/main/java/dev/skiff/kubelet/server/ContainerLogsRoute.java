package dev.skiff.kubelet.server;

import dev.skiff.kubelet.logs.ContainerLogs;
import dev.skiff.kubelet.logs.LogRequest;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code /containerLogs/{podNamespace}/{podID}/{containerName}} (secure port only, nodes/proxy, as upstream): a
 * container's log with upstream's query parameters, streamed as it is read. The response starts with the first byte,
 * so a missing pod (404) or a bad parameter (400) is still answered with its status and message.
 */
public final class ContainerLogsRoute {
    public static final String PATTERN = "/containerLogs/{podNamespace}/{podID}/{containerName}";

    private ContainerLogsRoute() {
    }

    /** @param logs empty until the container runtime answered */
    public static Route of(Supplier<Optional<ContainerLogs>> logs) {
        return Route.get(PATTERN, Route.Kind.DEBUGGING, (req, res) -> {
            Optional<ContainerLogs> reader = logs.get();
            if (reader.isEmpty()) {
                res.text(503, "container logs are not available yet: the container runtime has not answered\n");
                return;
            }
            LogRequest request = LogRequest.of(req.param("podNamespace"), req.param("podID"), req.param("containerName"),
                    req.query());
            LazyStream out = new LazyStream(res);
            // a 404 or 400 is thrown before the first byte: the response has not started and the server answers it
            reader.get().write(request, out, req.clientOpen());
            out.close();
        });
    }

    /** Starts the 200 response on the first write (or on close, for an empty log). */
    private static final class LazyStream extends OutputStream {
        private final Response response;
        private OutputStream body;

        LazyStream(Response response) {
            this.response = response;
        }

        private OutputStream body() {
            if (body == null) {
                body = response.stream(200, Response.TEXT);
            }
            return body;
        }

        @Override
        public void write(int b) throws IOException {
            body().write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            body().write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            body().flush();
        }

        @Override
        public void close() throws IOException {
            body().close();
        }
    }
}
