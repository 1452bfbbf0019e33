package dev.skiff.kubelet.server;

import java.util.Map;
import java.util.function.Supplier;

/** A read-only JSON endpoint: its query parameters (first value of each) in, the object to serve out. */
@FunctionalInterface
public interface Endpoint {
    Object answer(Map<String, String> query) throws BadRequestException;

    /** An endpoint that takes no parameters. */
    static Endpoint of(Supplier<?> supplier) {
        return query -> supplier.get();
    }

    /** The request cannot be answered as asked: 400 with this message. */
    final class BadRequestException extends Exception {
        public BadRequestException(String message) {
            super(message);
        }
    }

    /** What the request names (a pod, a container, a file) does not exist: 404 with this message. */
    final class NotFoundException extends Exception {
        public NotFoundException(String message) {
            super(message);
        }
    }
}
