package dev.skiff.kubelet.server.tls;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;

/** SEC1 {@code EC PRIVATE KEY} blocks, through BouncyCastle's ASN.1 (its classes load only when such a key is read). */
final class Sec1Keys {
    private Sec1Keys() {
    }

    static PrivateKey read(byte[] sec1) throws IOException, GeneralSecurityException {
        ECPrivateKey key = ECPrivateKey.getInstance(sec1);
        if (key.getParametersObject() == null) {
            throw new GeneralSecurityException("the EC key does not name its curve");
        }
        PrivateKeyInfo info = new PrivateKeyInfo(
                new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, key.getParametersObject()), key);
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
    }
}
