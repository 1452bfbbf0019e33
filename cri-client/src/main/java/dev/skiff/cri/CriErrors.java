package dev.skiff.cri;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** Builders for the gRPC failures the CRI contract speaks in; messages name the object. */
public final class CriErrors {
    private CriErrors() {}

    public static StatusRuntimeException notFound(String format, Object... args) {
        return Status.NOT_FOUND.withDescription(String.format(format, args)).asRuntimeException();
    }

    public static StatusRuntimeException invalidArgument(String format, Object... args) {
        return Status.INVALID_ARGUMENT.withDescription(String.format(format, args)).asRuntimeException();
    }

    public static StatusRuntimeException failedPrecondition(String format, Object... args) {
        return Status.FAILED_PRECONDITION.withDescription(String.format(format, args)).asRuntimeException();
    }

    public static StatusRuntimeException alreadyExists(String format, Object... args) {
        return Status.ALREADY_EXISTS.withDescription(String.format(format, args)).asRuntimeException();
    }

    public static StatusRuntimeException unimplemented(String format, Object... args) {
        return Status.UNIMPLEMENTED.withDescription(String.format(format, args)).asRuntimeException();
    }

    public static StatusRuntimeException deadlineExceeded(String format, Object... args) {
        return Status.DEADLINE_EXCEEDED.withDescription(String.format(format, args)).asRuntimeException();
    }

    public static StatusRuntimeException unavailable(String format, Object... args) {
        return Status.UNAVAILABLE.withDescription(String.format(format, args)).asRuntimeException();
    }

    public static StatusRuntimeException internal(Throwable cause, String format, Object... args) {
        return Status.INTERNAL.withDescription(String.format(format, args)).withCause(cause).asRuntimeException();
    }
}
