package dev.skiff.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * How {@code exec}, {@code attach} and {@code port-forward} reach the kubelet's secure port. By default as root on the
 * node: {@code https://127.0.0.1:10250}, trusting the kubelet's self-signed certificate and sending its local admin
 * token, both from the kubelet's {@code --cert-dir} ({@code /var/lib/kubelet/pki}).
 */
final class SecurePortOptions {
    static final Path DEFAULT_CERT_DIR = Path.of("/var/lib/kubelet/pki");

    @Option(names = "--server", paramLabel = "URL", defaultValue = "https://127.0.0.1:10250",
            description = "The kubelet's secure port (default: ${DEFAULT-VALUE}).")
    String server;

    @Option(names = "--cert-dir", paramLabel = "DIR",
            description = "The kubelet's --cert-dir: where its admin.token and self-signed kubelet.crt are "
                    + "(default: " + "/var/lib/kubelet/pki" + ").")
    Path certDir;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "A file holding the bearer token to send (default: <cert-dir>/admin.token).")
    Path tokenFile;

    @Option(names = "--certificate-authority", paramLabel = "FILE",
            description = "PEM certificates to trust for the kubelet's serving certificate (default: <cert-dir>/kubelet.crt).")
    Path certificateAuthority;

    @Option(names = "--insecure-skip-tls-verify",
            description = "Do not check the kubelet's certificate (the connection is still encrypted, but to anyone).")
    boolean insecureSkipTlsVerify;

    /** A connection to the kubelet as these options say; the message of the exception says what is wrong. */
    KubeletConnection connect() throws java.io.IOException {
        Path dir = certDir == null ? DEFAULT_CERT_DIR : certDir;
        return KubeletConnection.of(server, tokenFile == null ? dir.resolve("admin.token") : tokenFile,
                insecureSkipTlsVerify ? null : certificateAuthority == null ? dir.resolve("kubelet.crt") : certificateAuthority);
    }
}
