package dev.skiff.cri.docker;

/**
 * How the shim reaches Docker and which sandbox image it runs.
 *
 * @param dockerEndpoint e.g. {@code unix:///var/run/docker.sock}; null means that default
 * @param podInfraImage  the sandbox (pause) image; null or blank means Skiff's own, imported on first use
 */
public record DockerShimConfig(String dockerEndpoint, String podInfraImage) {
    public DockerShimConfig {
        if (dockerEndpoint == null || dockerEndpoint.isBlank()) {
            dockerEndpoint = DockerEndpoint.DEFAULT;
        }
        if (podInfraImage != null && podInfraImage.isBlank()) {
            podInfraImage = null;
        }
    }
}
