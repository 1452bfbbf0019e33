package dev.skiff.cri.docker;

import com.github.dockerjava.api.exception.BadRequestException;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.UnauthorizedException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.*;

class DockerErrorsTest {
    private static final String NOT_FOUND_BODY = "Status 404: {\"message\":\"No such container: 3f9a1c2b\"}\n";

    @Test
    void notFoundNamesTheObject() {
        StatusRuntimeException e = DockerErrors.map(new NotFoundException(NOT_FOUND_BODY), "inspect", "container 3f9a1c2b");
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("container 3f9a1c2b"), e.getStatus().getDescription());
        assertFalse(e.getStatus().getDescription().contains("Status 404"), e.getStatus().getDescription());
    }

    @Test
    void dockerFailuresMapToTheirCodes() {
        assertCode(Status.Code.ALREADY_EXISTS, new ConflictException("Status 409: {\"message\":\"name in use\"}"));
        assertCode(Status.Code.INVALID_ARGUMENT, new BadRequestException("Status 400: {\"message\":\"bad\"}"));
        assertCode(Status.Code.PERMISSION_DENIED, new UnauthorizedException("Status 401"));
        assertCode(Status.Code.INTERNAL, new DockerException("Status 500: {\"message\":\"boom\"}", 500));
    }

    @Test
    void unreachableDockerIsUnavailable() {
        assertCode(Status.Code.UNAVAILABLE, new RuntimeException(new IOException("Connection refused")));
    }

    @Test
    void statusExceptionsPassThrough() {
        StatusRuntimeException original = Status.DEADLINE_EXCEEDED.withDescription("x").asRuntimeException();
        assertSame(original, DockerErrors.map(original, "exec", "container a"));
    }

    @Test
    void messageNamesActionObjectAndDockersWords() {
        StatusRuntimeException e = DockerErrors.map(new DockerException("Status 500: {\"message\":\"disk full\"}", 500),
                "create", "container web of pod shop/web-0");
        String d = e.getStatus().getDescription();
        assertTrue(d.contains("create") && d.contains("container web of pod shop/web-0") && d.contains("disk full"), d);
    }

    @Test
    void dockerMessageUnwrapsTheJsonBody() {
        assertEquals("No such container: 3f9a1c2b", DockerErrors.dockerMessage(new NotFoundException(NOT_FOUND_BODY)));
        assertEquals("plain", DockerErrors.dockerMessage(new RuntimeException("plain")));
    }

    @Test
    void shortIdIsTwelveCharacters() {
        assertEquals("0123456789ab", DockerErrors.shortId("0123456789abcdef0123"));
        assertEquals("abc", DockerErrors.shortId("abc"));
    }

    private static void assertCode(Status.Code code, Throwable t) {
        StatusRuntimeException e = DockerErrors.map(t, "do", "thing x");
        assertEquals(code, e.getStatus().getCode(), String.valueOf(e.getStatus()));
        assertTrue(e.getStatus().getDescription().contains("thing x"), e.getStatus().getDescription());
    }
}
