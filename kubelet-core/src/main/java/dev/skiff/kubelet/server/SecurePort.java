package dev.skiff.kubelet.server;

import dev.skiff.kubelet.config.KubeletConfiguration;
import dev.skiff.kubelet.config.KubeletSettings;
import dev.skiff.kubelet.server.auth.AdminToken;
import dev.skiff.kubelet.server.auth.Authenticator;
import dev.skiff.kubelet.server.auth.AuthorizationPolicy;
import dev.skiff.kubelet.server.auth.ClientCertVerifier;
import dev.skiff.kubelet.server.auth.NodeAuthorizer;
import dev.skiff.kubelet.server.auth.TokenFile;
import dev.skiff.kubelet.server.tls.PemFiles;
import dev.skiff.kubelet.server.tls.ServingCert;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

/** The secure port's TLS, authentication and authorization, from the settings; every problem is one clear line. */
public final class SecurePort {
    private static final Logger log = LoggerFactory.getLogger(SecurePort.class);

    private SecurePort() {
    }

    /** The secure port cannot be set up as configured; the message says why (never a token). */
    public static final class SetupException extends Exception {
        public SetupException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public static KubeletServer.Security security(KubeletSettings s, List<String> nodeIps) throws SetupException {
        KubeletConfiguration c = s.config();
        try {
            ServingCert cert = ServingCert.load(optional(c.tlsCertFile()), optional(c.tlsPrivateKeyFile()), s.certDir(),
                    s.nodeName(), nodeIps);
            List<X509Certificate> cas = c.clientCAFile().isEmpty() ? List.of()
                    : PemFiles.certificates(Path.of(c.clientCAFile()));
            TokenFile tokens = TokenFile.empty();
            if (s.tokenAuthFile().isPresent()) {
                tokens = TokenFile.load(s.tokenAuthFile().get());
                log.info("secure port: {} bearer tokens from {}", tokens.size(), s.tokenAuthFile().get());
            }
            String admin;
            try {
                admin = AdminToken.ensure(s.certDir());
            } catch (IOException e) {
                throw new SetupException("the local admin token: " + e.getMessage(), e);
            }
            tokens = tokens.with(admin, AdminToken.USER);
            log.info("secure port: local admin token in {} (user {}, group system:masters)",
                    s.certDir().resolve(AdminToken.FILE), AdminToken.USER.name());
            AuthorizationPolicy policy = c.authorizationMode().equals(KubeletConfiguration.AUTHORIZATION_ALWAYS_ALLOW)
                    ? AuthorizationPolicy.alwaysAllow() : AuthorizationPolicy.load(s.authorizationPolicyFile());
            Authenticator authn = new Authenticator(cas.isEmpty() ? Optional.empty() : Optional.of(new ClientCertVerifier(cas)),
                    Optional.of(tokens), c.anonymousAuth());
            log.info("secure port: certificate {}, client CAs {}, token file {}, anonymous {}, authorization {}{}",
                    cert.certFile(), c.clientCAFile().isEmpty() ? "none" : c.clientCAFile(),
                    s.tokenAuthFile().map(Path::toString).orElse("none"), c.anonymousAuth(), c.authorizationMode(),
                    s.authorizationPolicyFile().map(p -> " (" + p + ")").orElse(""));
            return new KubeletServer.Security(cert.serverContext(cas), authn, new NodeAuthorizer(policy));
        } catch (PemFiles.PemException | TokenFile.TokenFileException | AuthorizationPolicy.PolicyException e) {
            throw new SetupException(e.getMessage(), e);
        } catch (SSLException e) {
            throw new SetupException("cannot set up TLS with " + c.tlsCertFile() + ": " + e.getMessage(), e);
        }
    }

    private static Optional<Path> optional(String file) {
        return file.isEmpty() ? Optional.empty() : Optional.of(Path.of(file));
    }
}
