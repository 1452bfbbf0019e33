package dev.skiff.streamclient;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What a remote-command session asks for. stdin/stdout/stderr/tty must match the CRI
 * {@code ExecRequest}/{@code AttachRequest} the URL was issued for: the server waits for exactly
 * those streams. {@code protocols} empty means {@link Transport#defaultProtocols()}.
 * {@code timeout} bounds connecting, the upgrade, each stream's creation and each blocking read.
 * {@code access} adds TLS (for https URLs) and request headers.
 */
public record StreamOptions(boolean stdin, boolean stdout, boolean stderr, boolean tty,
                            Transport transport, List<String> protocols, Duration timeout, Access access) {
    public StreamOptions {
        Objects.requireNonNull(transport, "transport");
        protocols = List.copyOf(protocols);
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(access, "access");
        if (!stdin && !stdout && !stderr) {
            throw new IllegalArgumentException("one of stdin, stdout and stderr is required, as in the CRI request");
        }
    }

    /** stdout and stderr over SPDY, no stdin, no TTY, 60 s timeout. */
    public static StreamOptions defaults() {
        return new StreamOptions(false, true, true, false, Transport.SPDY, List.of(), Duration.ofSeconds(60), Access.plain());
    }

    public StreamOptions withStdin(boolean v) {
        return new StreamOptions(v, stdout, stderr, tty, transport, protocols, timeout, access);
    }

    public StreamOptions withStdout(boolean v) {
        return new StreamOptions(stdin, v, stderr, tty, transport, protocols, timeout, access);
    }

    public StreamOptions withStderr(boolean v) {
        return new StreamOptions(stdin, stdout, v, tty, transport, protocols, timeout, access);
    }

    /** A TTY merges stderr into stdout: kubectl then asks for no stderr, and so does this. */
    public StreamOptions withTty(boolean v) {
        return new StreamOptions(stdin, stdout, v ? false : stderr, v, transport, protocols, timeout, access);
    }

    public StreamOptions withTransport(Transport t) {
        return new StreamOptions(stdin, stdout, stderr, tty, t, protocols, timeout, access);
    }

    public StreamOptions withProtocols(String... p) {
        return new StreamOptions(stdin, stdout, stderr, tty, transport, List.of(p), timeout, access);
    }

    public StreamOptions withTimeout(Duration t) {
        return new StreamOptions(stdin, stdout, stderr, tty, transport, protocols, t, access);
    }

    public StreamOptions withAccess(Access a) {
        return new StreamOptions(stdin, stdout, stderr, tty, transport, protocols, timeout, a);
    }

    List<String> offeredProtocols() {
        return protocols.isEmpty() ? transport.defaultProtocols() : protocols;
    }
}
