package dev.skiff.kubelet.server.auth;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Upstream's x509 request authenticator: a client certificate chain verified against the {@code --client-ca-file}
 * bundle (for client authentication) names the user: CN is the name, each O a group.
 */
public final class ClientCertVerifier {
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final String ANY_USAGE = "2.5.29.37.0";
    private final Set<TrustAnchor> anchors;

    public ClientCertVerifier(List<X509Certificate> cas) {
        if (cas.isEmpty()) {
            throw new IllegalArgumentException("no CA certificate");
        }
        Set<TrustAnchor> a = new HashSet<>();
        for (X509Certificate ca : cas) {
            a.add(new TrustAnchor(ca, null));
        }
        this.anchors = Set.copyOf(a);
    }

    /** The user of a verified chain; a chain that does not verify is an exception saying why. */
    public User verify(X509Certificate[] chain) throws GeneralSecurityException {
        X509Certificate leaf = chain[0];
        List<String> usages = leaf.getExtendedKeyUsage();
        if (usages != null && !usages.contains(CLIENT_AUTH) && !usages.contains(ANY_USAGE)) {
            throw new GeneralSecurityException("the client certificate is not for client authentication");
        }
        PKIXParameters params = new PKIXParameters(anchors);
        params.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(
                CertificateFactory.getInstance("X.509").generateCertPath(Arrays.asList(chain)), params);
        return user(leaf);
    }

    static User user(X509Certificate cert) throws GeneralSecurityException {
        String cn = null;
        List<String> orgs = new ArrayList<>();
        try {
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN") && cn == null) {
                    cn = rdn.getValue().toString();
                } else if (rdn.getType().equalsIgnoreCase("O")) {
                    orgs.add(0, rdn.getValue().toString()); // LdapName lists RDNs last-first
                }
            }
        } catch (InvalidNameException e) {
            throw new GeneralSecurityException("cannot read the client certificate's subject: " + e.getMessage());
        }
        return new User(Optional.ofNullable(cn).orElse(""), "", orgs);
    }
}
