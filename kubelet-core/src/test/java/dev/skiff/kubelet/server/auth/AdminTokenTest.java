package dev.skiff.kubelet.server.auth;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdminTokenTest {
    @TempDir
    Path dir;

    @Test
    void madeOnceOwnerOnlyAndKept() throws Exception {
        String token = AdminToken.ensure(dir.resolve("pki"));
        Path file = dir.resolve("pki/admin.token");
        assertTrue(token.matches("[0-9a-f]{64}"), token);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(token, AdminToken.ensure(dir.resolve("pki")));
    }

    @Test
    void aFileOthersMayReadOrThatHoldsNoTokenIsRefused() throws Exception {
        String token = AdminToken.ensure(dir);
        Path file = dir.resolve(AdminToken.FILE);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        IOException open = assertThrows(IOException.class, () -> AdminToken.ensure(dir));
        assertTrue(open.getMessage().contains("may be read by others than its owner: chmod 600 it"), open.getMessage());
        assertTrue(!open.getMessage().contains(token));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(file, "short\n");
        IOException bad = assertThrows(IOException.class, () -> AdminToken.ensure(dir));
        assertTrue(bad.getMessage().contains("does not hold a Skiff admin token"), bad.getMessage());
    }

    @Test
    void itsUserIsAnAdmin() {
        assertEquals(java.util.Optional.empty(), new NodeAuthorizer(assertDoesNotThrowPolicy())
                .forbidden(AdminToken.USER.authenticated(), "POST", "/exec/ns/pod/app"));
    }

    private static AuthorizationPolicy assertDoesNotThrowPolicy() {
        try {
            return AuthorizationPolicy.load(java.util.Optional.empty());
        } catch (AuthorizationPolicy.PolicyException e) {
            throw new AssertionError(e);
        }
    }
}
