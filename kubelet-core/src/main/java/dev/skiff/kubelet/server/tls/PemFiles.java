package dev.skiff.kubelet.server.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PEM certificates and private keys as the kubelet's {@code --tls-cert-file}, {@code --tls-private-key-file} and
 * {@code --client-ca-file} hold them: certificates; RSA or EC keys as PKCS#8 ({@code PRIVATE KEY}), PKCS#1
 * ({@code RSA PRIVATE KEY}) or SEC1 ({@code EC PRIVATE KEY}, read with BouncyCastle). Errors name the file, never
 * show its content.
 */
public final class PemFiles {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)-----END \\1-----");
    private static final byte[] RSA_ALGORITHM = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86,
            (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};

    private PemFiles() {
    }

    /** A file of this kind cannot be used; the message names the file. */
    public static final class PemException extends Exception {
        public PemException(String message) {
            super(message);
        }
    }

    record Block(String type, byte[] der) {}

    static List<Block> blocks(Path file) throws PemException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new PemException("cannot read " + file + ": " + e.getMessage());
        }
        List<Block> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            try {
                out.add(new Block(m.group(1), Base64.getMimeDecoder().decode(m.group(2))));
            } catch (IllegalArgumentException e) {
                throw new PemException(file + ": a " + m.group(1) + " block is not valid base64");
            }
        }
        return out;
    }

    /** Every certificate of {@code file}, in order; at least one. */
    public static List<X509Certificate> certificates(Path file) throws PemException {
        List<X509Certificate> out = new ArrayList<>();
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (Block b : blocks(file)) {
                if (b.type().equals("CERTIFICATE")) {
                    Certificate c = cf.generateCertificate(new ByteArrayInputStream(b.der()));
                    out.add((X509Certificate) c);
                }
            }
        } catch (GeneralSecurityException e) {
            throw new PemException(file + ": not a valid PEM certificate (" + e.getMessage() + ")");
        }
        if (out.isEmpty()) {
            throw new PemException(file + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }
        return out;
    }

    /** The first private key of {@code file}. */
    public static PrivateKey privateKey(Path file) throws PemException {
        for (Block b : blocks(file)) {
            try {
                switch (b.type()) {
                    case "PRIVATE KEY":
                        return pkcs8(b.der());
                    case "RSA PRIVATE KEY":
                        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(wrapPkcs1(b.der())));
                    case "EC PRIVATE KEY":
                        return Sec1Keys.read(b.der());
                    case "ENCRYPTED PRIVATE KEY":
                        throw new PemException(file + ": the private key is encrypted; give an unencrypted key");
                    default:
                        break; // EC PARAMETERS and the like
                }
            } catch (GeneralSecurityException | IOException | RuntimeException e) {
                throw new PemException(file + ": not a valid " + b.type() + " (" + e.getMessage() + ")");
            }
        }
        throw new PemException(file + " holds no PEM private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
    }

    private static PrivateKey pkcs8(byte[] der) throws GeneralSecurityException {
        GeneralSecurityException last = null;
        for (String alg : List.of("RSA", "EC", "Ed25519")) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw last;
    }

    /** PKCS#1 RSAPrivateKey inside a PKCS#8 PrivateKeyInfo, which the JDK reads. */
    static byte[] wrapPkcs1(byte[] pkcs1) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[]{0x02, 0x01, 0x00}); // version 0
        body.writeBytes(RSA_ALGORITHM);
        body.writeBytes(tlv(0x04, pkcs1));
        return tlv(0x30, body.toByteArray());
    }

    static byte[] tlv(int tag, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int n = value.length;
        if (n < 0x80) {
            out.write(n);
        } else {
            int bytes = n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x1000000 ? 3 : 4;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write((n >>> (8 * i)) & 0xff);
            }
        }
        out.writeBytes(value);
        return out.toByteArray();
    }
}
