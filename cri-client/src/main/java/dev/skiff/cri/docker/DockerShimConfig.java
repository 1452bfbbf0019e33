package dev.skiff.cri.docker;

import dev.skiff.cri.streaming.StreamingServer;

/**
 * How the shim reaches Docker and which sandbox image it runs.
 *
 * @param dockerEndpoint e.g. {@code unix:///var/run/docker.sock}; null means that default
 * @param podInfraImage  the sandbox (pause) image; null or blank means Skiff's own, imported on first use
 * @param streamingAddress where the CRI streaming server (exec, attach, port-forward) listens, {@code HOST:PORT};
 *                         null or blank means {@code 127.0.0.1:0} (a random port, as containerd)
 */
public record DockerShimConfig(String dockerEndpoint, String podInfraImage, String streamingAddress) {
    public DockerShimConfig(String dockerEndpoint, String podInfraImage) {
        this(dockerEndpoint, podInfraImage, null);
    }

    public DockerShimConfig {
        if (streamingAddress == null || streamingAddress.isBlank()) {
            streamingAddress = StreamingServer.DEFAULT_ADDRESS;
        }
        if (dockerEndpoint == null || dockerEndpoint.isBlank()) {
            dockerEndpoint = DockerEndpoint.DEFAULT;
        }
        if (podInfraImage != null && podInfraImage.isBlank()) {
            podInfraImage = null;
        }
    }
}
