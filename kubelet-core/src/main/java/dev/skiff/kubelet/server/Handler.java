package dev.skiff.kubelet.server;

/**
 * Answers one request of a {@link Route}. Runs on a {@code kubelet-http-N} thread, so it may block (build JSON,
 * read files, stream until the client goes away). It answers through {@code response} exactly once; throwing
 * {@link Endpoint.BadRequestException} gives 400, {@link Endpoint.NotFoundException} 404 (with the message), any
 * other exception 500 (or, once a stream has started, the connection is closed).
 */
@FunctionalInterface
public interface Handler {
    void handle(Request request, Response response) throws Exception;
}
