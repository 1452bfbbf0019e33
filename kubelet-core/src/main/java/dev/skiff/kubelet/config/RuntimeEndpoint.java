package dev.skiff.kubelet.config;

import dev.skiff.cri.streaming.StreamingServer;

import java.nio.file.Path;

/**
 * Which container runtime the kubelet talks to, from {@code --container-runtime-endpoint} (or the config's
 * containerRuntimeEndpoint): empty, or Docker's own socket, means Skiff's in-process Docker CRI shim; any other
 * {@code unix://} path is a remote CRI runtime served on that socket. The in-process shim talks to Docker Engine at
 * {@code --docker-endpoint} (cri-dockerd's flag), default {@link #DOCKER_SOCKET}.
 */
public sealed interface RuntimeEndpoint {
    String DOCKER_SOCKET = "unix:///var/run/docker.sock";

    /**
     * The in-process Docker shim, talking to Docker Engine at {@code dockerEndpoint}, its CRI streaming server
     * (exec, attach, port-forward) on {@code streamingAddress} ({@code --streaming-address}, default 127.0.0.1:0).
     */
    record InProcessDocker(String dockerEndpoint, String streamingAddress) implements RuntimeEndpoint {
        public InProcessDocker {
            if (streamingAddress == null || streamingAddress.isBlank()) {
                streamingAddress = StreamingServer.DEFAULT_ADDRESS;
            }
        }

        public InProcessDocker(String dockerEndpoint) {
            this(dockerEndpoint, null);
        }

        @Override
        public String toString() {
            return "in-process Docker shim on " + dockerEndpoint;
        }
    }

    /** A CRI v1 runtime listening on a Unix socket. */
    record RemoteCri(Path socket) implements RuntimeEndpoint {
        public String endpoint() {
            return "unix://" + socket;
        }

        @Override
        public String toString() {
            return "CRI runtime at " + endpoint();
        }
    }

    /** Parses an endpoint; {@link IllegalArgumentException} says what a valid one looks like. */
    static RuntimeEndpoint parse(String endpoint) {
        if (endpoint == null || endpoint.isBlank()) {
            return new InProcessDocker(DOCKER_SOCKET);
        }
        String path;
        if (endpoint.startsWith("unix://")) {
            path = endpoint.substring("unix://".length());
        } else if (endpoint.startsWith("/")) {
            path = endpoint; // upstream still accepts a bare path as a Unix socket
        } else {
            throw new IllegalArgumentException("container runtime endpoint \"" + endpoint
                    + "\" is not supported: use unix:///absolute/path/to/cri.sock (or leave it empty for the "
                    + "in-process Docker shim)");
        }
        if (!path.startsWith("/") || path.length() < 2) {
            throw new IllegalArgumentException("container runtime endpoint \"" + endpoint
                    + "\" needs an absolute socket path: unix:///absolute/path/to/cri.sock");
        }
        Path socket = Path.of(path).normalize();
        // Docker Engine does not speak CRI: its socket means "the shim, in process, on that Docker".
        if (socket.equals(Path.of("/var/run/docker.sock")) || socket.equals(Path.of("/run/docker.sock"))) {
            return new InProcessDocker("unix://" + socket);
        }
        return new RemoteCri(socket);
    }

    /**
     * A Docker Engine endpoint as docker-java and cri-dockerd take it: {@code unix:///absolute/path} or
     * {@code tcp://host:port}; returned normalized.
     */
    static String parseDockerEndpoint(String endpoint) {
        if (endpoint.startsWith("unix://")) {
            String path = endpoint.substring("unix://".length());
            if (path.startsWith("/") && path.length() > 1) {
                return "unix://" + Path.of(path).normalize();
            }
        } else if (endpoint.startsWith("tcp://")) {
            String hostPort = endpoint.substring("tcp://".length());
            int colon = hostPort.lastIndexOf(':');
            if (colon > 0 && colon < hostPort.length() - 1 && hostPort.substring(colon + 1).chars().allMatch(Character::isDigit)
                    && !hostPort.contains("/")) {
                return endpoint;
            }
        }
        throw new IllegalArgumentException("Docker endpoint \"" + endpoint
                + "\" is not supported: use unix:///absolute/path/to/docker.sock or tcp://host:port");
    }
}
