package dev.skiff.cri.remote;

import java.nio.file.Path;

/** A CRI endpoint as the kubelet and crictl spell it: {@code unix:///abs/path}, or a bare absolute path. */
final class UnixEndpoint {
    private static final String SCHEME = "unix://";

    private UnixEndpoint() {}

    /** The socket path; IllegalArgumentException naming the accepted forms for anything else. */
    static Path parse(String endpoint) {
        if (endpoint == null || endpoint.isBlank()) {
            throw new IllegalArgumentException("CRI endpoint is empty; expected unix:///path/to/socket");
        }
        String path = endpoint.startsWith(SCHEME) ? endpoint.substring(SCHEME.length()) : endpoint;
        if (!path.startsWith("/") || path.contains("://")) {
            throw new IllegalArgumentException("unsupported CRI endpoint '" + endpoint
                    + "': only Unix sockets are supported, as unix:///absolute/path or /absolute/path");
        }
        return Path.of(path).normalize();
    }
}
