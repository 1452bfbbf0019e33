package dev.skiff.cri.server;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Function;

/**
 * How a served call turns the implementation's outcome into a gRPC response: a
 * {@link StatusRuntimeException} keeps its code, description and trailers, so a remote caller
 * sees what an in-process caller sees; anything else is a bug in the runtime and becomes
 * INTERNAL with the exception's message, logged once here.
 */
final class CallErrors {
    private static final Logger log = LoggerFactory.getLogger(CallErrors.class);

    private CallErrors() {}

    static <Q, R> void unary(String method, Q request, StreamObserver<R> response, Function<Q, R> handler) {
        R result;
        try {
            result = handler.apply(request);
        } catch (RuntimeException e) {
            response.onError(toStatus(method, e));
            return;
        }
        if (result == null) {
            response.onError(toStatus(method, new IllegalStateException("runtime returned no response")));
            return;
        }
        response.onNext(result);
        response.onCompleted();
    }

    static Throwable toStatus(String method, Throwable e) {
        if (e instanceof StatusRuntimeException || e instanceof StatusException) {
            return e;
        }
        String message = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
        log.warn("CRI {} failed with an unexpected {}: {}", method, e.getClass().getName(), message);
        log.debug("CRI {} failure", method, e);
        return Status.INTERNAL.withDescription(message).withCause(e).asRuntimeException();
    }
}
