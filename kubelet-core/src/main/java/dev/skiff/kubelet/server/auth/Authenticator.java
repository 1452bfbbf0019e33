package dev.skiff.kubelet.server.auth;

import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * The secure port's authentication, in upstream's order: a client certificate (when {@code --client-ca-file} is set),
 * then a bearer token (when {@code --token-auth-file} is set); with neither, the anonymous user when
 * {@code --anonymous-auth=true}. A certificate or token that is presented but not valid is refused even when anonymous
 * requests are allowed (upstream's FailOnError union).
 */
public final class Authenticator {
    private final Optional<ClientCertVerifier> certs;
    private final Optional<TokenFile> tokens;
    private final boolean anonymous;

    public Authenticator(Optional<ClientCertVerifier> certs, Optional<TokenFile> tokens, boolean anonymous) {
        this.certs = certs;
        this.tokens = tokens;
        this.anonymous = anonymous;
    }

    /** The outcome: a user, or why the request is 401. */
    public sealed interface Result {
        record Authenticated(User user) implements Result {}

        record Refused(String reason) implements Result {}
    }

    /**
     * @param peerChain     the client's certificate chain from the TLS handshake (empty when it sent none)
     * @param authorization the Authorization header, or null
     */
    public Result authenticate(X509Certificate[] peerChain, String authorization) {
        String problem = null;
        if (certs.isPresent() && peerChain.length > 0) {
            try {
                return new Result.Authenticated(certs.get().verify(peerChain).authenticated());
            } catch (GeneralSecurityException e) {
                problem = "client certificate: " + e.getMessage();
            }
        }
        Optional<String> bearer = bearer(authorization);
        if (tokens.isPresent() && bearer.isPresent()) {
            Optional<User> u = tokens.get().user(bearer.get());
            if (u.isPresent()) {
                return new Result.Authenticated(u.get().authenticated());
            }
            problem = problem == null ? "invalid bearer token" : problem + "; invalid bearer token";
        }
        if (problem != null) {
            return new Result.Refused(problem);
        }
        return anonymous ? new Result.Authenticated(User.ANONYMOUS) : new Result.Refused("no credentials");
    }

    /** The token of an {@code Authorization: Bearer <token>} header (scheme case-insensitive, as upstream). */
    static Optional<String> bearer(String header) {
        if (header == null) {
            return Optional.empty();
        }
        String h = header.strip();
        int sp = h.indexOf(' ');
        if (sp < 0 || !h.substring(0, sp).equalsIgnoreCase("bearer")) {
            return Optional.empty();
        }
        String token = h.substring(sp + 1).strip();
        return token.isEmpty() ? Optional.empty() : Optional.of(token);
    }
}
