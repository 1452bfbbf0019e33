package dev.skiff.cri.docker;

import com.github.dockerjava.api.exception.BadRequestException;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.UnauthorizedException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

import java.io.IOException;
import java.io.UncheckedIOException;

/** Turns docker-java failures into the gRPC status a CRI caller expects, naming the object concerned. */
public final class DockerErrors {
    private DockerErrors() {}

    /**
     * @param what the object, e.g. {@code "container 3f9a1c2b4d5e"} or {@code "image busybox:1"}
     * @param action what was attempted, e.g. {@code "start"}
     */
    public static StatusRuntimeException map(Throwable e, String action, String what) {
        if (e instanceof StatusRuntimeException s) {
            return s;
        }
        Status status;
        if (e instanceof NotFoundException) {
            status = Status.NOT_FOUND.withDescription(String.format("%s not found (%s)", what, dockerMessage(e)));
            return status.withCause(e).asRuntimeException();
        } else if (e instanceof ConflictException) {
            status = Status.ALREADY_EXISTS;
        } else if (e instanceof BadRequestException) {
            status = Status.INVALID_ARGUMENT;
        } else if (e instanceof UnauthorizedException) {
            status = Status.PERMISSION_DENIED;
        } else if (e instanceof DockerException) {
            status = Status.INTERNAL;
        } else if (isConnectionFailure(e)) {
            status = Status.UNAVAILABLE;
        } else {
            status = Status.INTERNAL;
        }
        return status.withDescription(String.format("cannot %s %s: %s", action, what, dockerMessage(e)))
                .withCause(e).asRuntimeException();
    }

    /** Docker's own words, without docker-java's "Status 404: {\"message\":...}" wrapping. */
    static String dockerMessage(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().trim();
        int at = m.indexOf("\"message\":\"");
        if (at >= 0) {
            int start = at + "\"message\":\"".length();
            int end = m.indexOf('"', start);
            if (end > start) {
                return m.substring(start, end);
            }
        }
        return m;
    }

    private static boolean isConnectionFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IOException || t instanceof UncheckedIOException) {
                return true;
            }
        }
        return false;
    }

    /** A short id for messages and logs. */
    static String shortId(String id) {
        return id == null ? "?" : id.length() > 12 ? id.substring(0, 12) : id;
    }
}
