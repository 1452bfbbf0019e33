package dev.skiff.kubelet.it;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import java.math.BigInteger;
import java.net.Socket;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;

/** Certificates made by the test itself (BouncyCastle): CAs, client certificates, a serving certificate. */
final class TestPki {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A key and its certificate (chain: the certificate, then its issuer when not self-signed). */
    record Issued(KeyPair key, X509Certificate cert, List<X509Certificate> chain) {
        String certPem() {
            StringBuilder b = new StringBuilder();
            chain.forEach(c -> b.append(pem("CERTIFICATE", der(c))));
            return b.toString();
        }
    }

    private TestPki() {
    }

    static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return g.generateKeyPair();
    }

    static Issued ca(String cn) throws Exception {
        KeyPair k = ec();
        X500Name name = name(cn, List.of());
        JcaX509v3CertificateBuilder b = builder(name, name, k);
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        X509Certificate c = sign(b, k.getPrivate());
        return new Issued(k, c, List.of(c));
    }

    /** A client certificate: CN = user, O = groups. */
    static Issued client(Issued ca, String cn, List<String> orgs) throws Exception {
        KeyPair k = ec();
        JcaX509v3CertificateBuilder b = builder(X500Name.getInstance(ca.cert().getSubjectX500Principal().getEncoded()), name(cn, orgs), k);
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
        X509Certificate c = sign(b, ca.key().getPrivate());
        return new Issued(k, c, List.of(c, ca.cert()));
    }

    /** A serving certificate for 127.0.0.1. */
    static Issued server(Issued ca, String cn) throws Exception {
        KeyPair k = ec();
        JcaX509v3CertificateBuilder b = builder(X500Name.getInstance(ca.cert().getSubjectX500Principal().getEncoded()), name(cn, List.of()), k);
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        b.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(new GeneralName[]{new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
        X509Certificate c = sign(b, ca.key().getPrivate());
        return new Issued(k, c, List.of(c, ca.cert()));
    }

    private static X500Name name(String cn, List<String> orgs) {
        X500NameBuilder b = new X500NameBuilder(BCStyle.INSTANCE);
        orgs.forEach(o -> b.addRDN(BCStyle.O, o));
        return b.addRDN(BCStyle.CN, cn).build();
    }

    private static JcaX509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair k) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, RANDOM), Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(Duration.ofDays(2))), subject, k.getPublic());
    }

    private static X509Certificate sign(JcaX509v3CertificateBuilder b, PrivateKey signer) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
    }

    static byte[] der(X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The EC key as SEC1 ({@code EC PRIVATE KEY}), as openssl ecparam -genkey writes it. */
    static String sec1Pem(KeyPair k) throws Exception {
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(k.getPrivate().getEncoded());
        org.bouncycastle.asn1.sec.ECPrivateKey inner = org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(info.parsePrivateKey());
        // with the curve in its parameters, as openssl writes it (the JDK's PKCS#8 keeps the curve outside)
        return pem("EC PRIVATE KEY", new org.bouncycastle.asn1.sec.ECPrivateKey(256, inner.getKey(),
                info.getPrivateKeyAlgorithm().getParameters()).getEncoded());
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /** A TLS context trusting {@code trusted} and presenting {@code client} (when given) whatever the server asks. */
    static SSLContext context(List<X509Certificate> trusted, Issued client) throws Exception {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        for (int i = 0; i < trusted.size(); i++) {
            ts.setCertificateEntry("ca" + i, trusted.get(i));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(client == null ? null : new KeyManager[]{new FixedKeyManager(client)}, tmf.getTrustManagers(), RANDOM);
        return ctx;
    }

    /** Always presents one certificate, also one the server's CA list does not name (the JDK's own would not). */
    private static final class FixedKeyManager extends X509ExtendedKeyManager {
        private final Issued client;

        FixedKeyManager(Issued client) {
            this.client = client;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return new String[]{"client"};
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return "client";
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return "client";
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return client.chain().toArray(new X509Certificate[0]);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return client.key().getPrivate();
        }
    }
}
