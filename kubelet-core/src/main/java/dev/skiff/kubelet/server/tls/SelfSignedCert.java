package dev.skiff.kubelet.server.tls;

import dev.skiff.kubelet.config.IpLiteral;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A serving certificate as upstream's certutil.GenerateSelfSignedCertKey makes it: an RSA-2048 CA
 * ({@code <host>-ca@<unix time>}) and a certificate signed by it ({@code <host>@<unix time>}, server authentication,
 * one year), with the host name, {@code localhost}, the node IPs and {@code 127.0.0.1} as subject alternative names.
 * The PEM of the certificate is the serving certificate followed by the CA; the key is PKCS#1, as keyutil writes it.
 */
final class SelfSignedCert {
    private static final Duration VALIDITY = Duration.ofDays(365);

    record Generated(String certPem, String keyPem) {}

    private SelfSignedCert() {
    }

    static Generated generate(String host, List<String> ips, Instant now) throws GeneralSecurityException, IOException {
        SecureRandom random = new SecureRandom();
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048, random);
        KeyPair caKey = gen.generateKeyPair();
        KeyPair key = gen.generateKeyPair();
        long unix = now.getEpochSecond();
        X500Name ca = cn(host + "-ca@" + unix);
        Date from = Date.from(now.minus(Duration.ofHours(1))); // a little clock skew between hosts
        Date to = Date.from(now.plus(VALIDITY));

        JcaX509v3CertificateBuilder caB = new JcaX509v3CertificateBuilder(ca, serial(random), from, to, ca, caKey.getPublic());
        caB.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        caB.addExtension(Extension.keyUsage, true,
                new KeyUsage(KeyUsage.keyCertSign | KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
        X509Certificate caCert = sign(caB, caKey.getPrivate());

        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca, serial(random), from, to,
                cn(host + "@" + unix), key.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans(host, ips)));
        X509Certificate cert = sign(b, caKey.getPrivate());

        String pkcs1 = pem("RSA PRIVATE KEY",
                PrivateKeyInfo.getInstance(key.getPrivate().getEncoded()).parsePrivateKey().toASN1Primitive().getEncoded());
        return new Generated(pem("CERTIFICATE", cert.getEncoded()) + pem("CERTIFICATE", caCert.getEncoded()), pkcs1);
    }

    private static GeneralName[] sans(String host, List<String> ips) {
        Set<String> dns = new LinkedHashSet<>();
        Set<String> addrs = new LinkedHashSet<>();
        (IpLiteral.isIP(host) ? addrs : dns).add(host);
        dns.add("localhost");
        addrs.addAll(ips);
        addrs.add("127.0.0.1");
        List<GeneralName> out = new ArrayList<>();
        dns.forEach(d -> out.add(new GeneralName(GeneralName.dNSName, d)));
        addrs.forEach(a -> out.add(new GeneralName(GeneralName.iPAddress, a)));
        return out.toArray(new GeneralName[0]);
    }

    private static X500Name cn(String cn) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, cn).build();
    }

    private static BigInteger serial(SecureRandom random) {
        return new BigInteger(128, random);
    }

    private static X509Certificate sign(JcaX509v3CertificateBuilder b, PrivateKey signer) throws GeneralSecurityException {
        try {
            ContentSigner s = new JcaContentSignerBuilder("SHA256withRSA").build(signer);
            X509CertificateHolder holder = b.build(s);
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
