package dev.skiff.kubelet.server.auth;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenFileTest {
    private static final Path FILE = Path.of("/etc/skiff/tokens.csv");

    @Test
    void upstreamsFormatWithQuotedGroups() throws Exception {
        TokenFile f = TokenFile.parse(FILE, """
                s3cr3t-admin,admin,1000,"system:masters,ops"
                s3cr3t-prom,prometheus,1001,monitoring

                s3cr3t-plain,plain,1002
                "quoted,token",odd,1003,""
                """);
        assertEquals(4, f.size());
        assertEquals(Optional.of(new User("admin", "1000", List.of("system:masters", "ops"))), f.user("s3cr3t-admin"));
        assertEquals(Optional.of(new User("prometheus", "1001", List.of("monitoring"))), f.user("s3cr3t-prom"));
        assertEquals(Optional.of(new User("plain", "1002", List.of())), f.user("s3cr3t-plain"));
        assertEquals(Optional.of(new User("odd", "1003", List.of())), f.user("quoted,token"));
        assertEquals(Optional.empty(), f.user("nope"));
    }

    @Test
    void aDuplicateTokenKeepsTheLaterLineAsUpstream() throws Exception {
        TokenFile f = TokenFile.parse(FILE, "tok,first,1\ntok,second,2\n");
        assertEquals("second", f.user("tok").orElseThrow().name());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "only-s3cr3t,alice | line 2: must have at least 3 columns (token, user name, user uid), found 2",
            ",alice,1 | line 2: the token is empty",
            "s3cr3t,,1 | line 2: the user name is empty",
            "s3cr3t,alice,1,\"ops | line 2: a quote is not closed",
            "s3c\"r3t,alice,1 | line 2: a quote is not closed or is followed by more text",
    })
    void aBadLineNamesTheFileAndLineAndNeverTheToken(String line, String expected) {
        var e = assertThrows(TokenFile.TokenFileException.class, () -> TokenFile.parse(FILE, "good,bob,7\n" + line + "\n"));
        assertTrue(e.getMessage().startsWith("token file " + FILE + ", " + expected), e.getMessage());
        assertFalse(e.getMessage().contains("s3cr3t") || e.getMessage().contains("s3c\"r3t") || e.getMessage().contains("only-"),
                "the token leaked: " + e.getMessage());
    }

    @Test
    void bearerHeadersAreParsedAsUpstream() {
        assertEquals(Optional.of("abc"), Authenticator.bearer("Bearer abc"));
        assertEquals(Optional.of("abc"), Authenticator.bearer("bearer  abc "));
        assertEquals(Optional.empty(), Authenticator.bearer("Basic abc"));
        assertEquals(Optional.empty(), Authenticator.bearer("Bearer "));
        assertEquals(Optional.empty(), Authenticator.bearer(null));
    }

    @Test
    void tokensAuthenticateBadOnesAreRefusedEvenWithAnonymousAllowed() throws Exception {
        TokenFile f = TokenFile.parse(FILE, "tok,bob,7,ops\n");
        Authenticator a = new Authenticator(Optional.empty(), Optional.of(f), true);
        assertEquals(new Authenticator.Result.Authenticated(new User("bob", "7", List.of("ops", User.AUTHENTICATED))),
                a.authenticate(new java.security.cert.X509Certificate[0], "Bearer tok"));
        assertTrue(a.authenticate(new java.security.cert.X509Certificate[0], "Bearer wrong") instanceof Authenticator.Result.Refused);
        assertEquals(new Authenticator.Result.Authenticated(User.ANONYMOUS),
                a.authenticate(new java.security.cert.X509Certificate[0], null));
        Authenticator noAnonymous = new Authenticator(Optional.empty(), Optional.of(f), false);
        assertTrue(noAnonymous.authenticate(new java.security.cert.X509Certificate[0], null) instanceof Authenticator.Result.Refused);
    }
}
