package dev.skiff.kubelet.server.tls;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The secure port's certificate and key, as upstream's InitializeTLS: {@code --tls-cert-file} and
 * {@code --tls-private-key-file} when given (both or neither), else {@code <cert-dir>/kubelet.crt} and
 * {@code kubelet.key}, generated self-signed on the first start and reused after.
 *
 * @param key       the private key
 * @param chain     the certificate first, then its issuers as the file lists them
 * @param certFile  where the certificate came from
 * @param generated true when this start generated the pair
 */
public record ServingCert(PrivateKey key, List<X509Certificate> chain, Path certFile, boolean generated) {
    private static final Logger log = LoggerFactory.getLogger(ServingCert.class);
    public static final String CERT_FILE = "kubelet.crt";
    public static final String KEY_FILE = "kubelet.key";

    public ServingCert {
        chain = List.copyOf(chain);
    }

    /**
     * @param host the node name: the generated certificate's name and first SAN
     * @param ips  the node IPs, SANs of a generated certificate
     */
    public static ServingCert load(Optional<Path> certFile, Optional<Path> keyFile, Path certDir, String host,
                                   List<String> ips) throws PemFiles.PemException {
        if (certFile.isPresent() != keyFile.isPresent()) {
            throw new PemFiles.PemException("tlsCertFile (--tls-cert-file) and tlsPrivateKeyFile (--tls-private-key-file) "
                    + "must be given together");
        }
        if (certFile.isPresent()) {
            return new ServingCert(PemFiles.privateKey(keyFile.get()), PemFiles.certificates(certFile.get()),
                    certFile.get(), false);
        }
        Path cert = certDir.resolve(CERT_FILE);
        Path key = certDir.resolve(KEY_FILE);
        if (Files.isReadable(cert) && Files.isReadable(key)) {
            log.info("secure port: using the self-signed certificate {} (generated on an earlier start)", cert);
            return new ServingCert(PemFiles.privateKey(key), PemFiles.certificates(cert), cert, false);
        }
        try {
            SelfSignedCert.Generated g = SelfSignedCert.generate(host, ips, Instant.now());
            Files.createDirectories(certDir);
            writeKey(key, g.keyPem());
            Path tmp = Files.createTempFile(certDir, ".kubelet.crt.", ".tmp");
            Files.writeString(tmp, g.certPem(), StandardCharsets.US_ASCII);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(tmp, cert, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (GeneralSecurityException | IOException e) {
            throw new PemFiles.PemException("cannot generate the self-signed certificate in " + certDir + ": " + e);
        }
        log.info("secure port: generated a self-signed certificate {} and key {} for {} {}", cert, key, host, ips);
        return new ServingCert(PemFiles.privateKey(key), PemFiles.certificates(cert), cert, true);
    }

    /** The key readable by its owner only from the moment it exists. */
    private static void writeKey(Path key, String pem) throws IOException {
        Path tmp = key.resolveSibling("." + key.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (FileAlreadyExistsException e) {
            throw new IOException("cannot create " + tmp, e);
        }
        Files.writeString(tmp, pem, StandardCharsets.US_ASCII);
        Files.move(tmp, key, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * The server's TLS context. With client CAs it asks for (does not require) a client certificate and accepts any in
     * the handshake: the authenticator verifies it and answers 401, as upstream's RequestClientCert.
     */
    public SslContext serverContext(List<X509Certificate> clientCas) throws SSLException {
        SslContextBuilder b = SslContextBuilder.forServer(key, chain.toArray(new X509Certificate[0]))
                .sslProvider(SslProvider.JDK)
                .protocols("TLSv1.3", "TLSv1.2");
        if (!clientCas.isEmpty()) {
            b.clientAuth(ClientAuth.OPTIONAL).trustManager(new VerifiedLater(clientCas));
        }
        return b.build();
    }

    /** Accepts any client chain in the handshake and names the CAs so clients pick a certificate they hold. */
    private record VerifiedLater(List<X509Certificate> cas) implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            // verified per request by ClientCertVerifier, which answers 401 rather than failing the handshake
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            throw new java.security.cert.CertificateException("server certificates are not checked here");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return cas.toArray(new X509Certificate[0]);
        }
    }
}
