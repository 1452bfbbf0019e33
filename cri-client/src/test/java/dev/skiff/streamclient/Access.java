package dev.skiff.streamclient;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How the client reaches a server beyond its URL: TLS for {@code https://} URLs (a CRI streaming server is plain
 * HTTP; the kubelet's secure port is not) and extra request headers, such as the {@code Authorization} the kubelet
 * wants. The server's certificate chain is checked against the given trust (or not at all with
 * {@link #trustAll()}); its host name is not, as a test client on loopback needs.
 *
 * @param tls     the TLS context for https URLs, null for plain http only
 * @param headers extra request headers, in order
 */
public record Access(SSLContext tls, Map<String, String> headers) {
    public Access {
        headers = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }

    /** Plain http, no extra headers: what a CRI streaming URL needs. */
    public static Access plain() {
        return new Access(null, Map.of());
    }

    public Access withTls(SSLContext context) {
        return new Access(Objects.requireNonNull(context, "context"), headers);
    }

    public Access withHeader(String name, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(name, value);
        return new Access(tls, h);
    }

    /** {@code Authorization: Bearer TOKEN}. */
    public Access withBearer(String token) {
        return withHeader("Authorization", "Bearer " + token);
    }

    /** TLS trusting the certificates in a PEM file (a CA, or a self-signed server certificate). */
    public static SSLContext trusting(Path pem) throws IOException, GeneralSecurityException {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(pem)) {
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("ca-" + i++, c);
            }
            if (i == 0) {
                throw new GeneralSecurityException("no certificate in " + pem);
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), new SecureRandom());
        return context;
    }

    /** TLS that accepts any server certificate: for tests only. */
    public static SSLContext trustAll() throws GeneralSecurityException {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[]{new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
                // a client context: never asked
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                // trust all, by request
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, new SecureRandom());
        return context;
    }
}
