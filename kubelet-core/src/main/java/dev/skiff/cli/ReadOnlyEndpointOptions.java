package dev.skiff.cli;

import picocli.CommandLine.Option;

/** The options of the commands that read a running kubelet's read-only endpoint ({@code pods}, {@code describe}). */
final class ReadOnlyEndpointOptions {
    @Option(names = "--read-only-port", paramLabel = "PORT", defaultValue = "10255",
            description = "The kubelet's read-only port on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
    int readOnlyPort;

    @Option(names = "--server", paramLabel = "URL",
            description = "The kubelet's read-only endpoint; overrides --read-only-port (default: http://127.0.0.1:<read-only-port>).")
    String server;

    /** A client of the endpoint these options name. */
    ReadOnlyClient client() {
        return ReadOnlyClient.of(server, readOnlyPort);
    }
}
