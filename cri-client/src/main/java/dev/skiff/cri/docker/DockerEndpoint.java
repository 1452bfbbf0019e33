package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;

import java.net.URI;
import java.time.Duration;

/** Builds the docker-java client the shim talks to Docker Engine with. */
public final class DockerEndpoint {
    public static final String DEFAULT = "unix:///var/run/docker.sock";
    /** Docker 20.10 speaks 1.41; newer clients default to versions it refuses. */
    public static final String API_VERSION = "1.41";
    /** Calls in flight at once (followed log streams have connections of their own, outside this pool). */
    static final int MAX_CONNECTIONS = 512;

    private DockerEndpoint() {}

    /** The daemon's address: {@code endpoint}, or {@link #DEFAULT} when it is null or blank. */
    public static URI host(String endpoint) {
        return URI.create(endpoint == null || endpoint.isBlank() ? DEFAULT : endpoint);
    }

    /**
     * No response timeout: log streams stay quiet for hours and StopContainer legitimately waits
     * its whole grace period; calls that must be bounded bound themselves (stop timeouts, exec timers).
     */
    public static DockerClient connect(String endpoint) {
        String host = host(endpoint).toString();
        DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(host)
                .withApiVersion(API_VERSION)
                .build();
        ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder()
                .dockerHost(URI.create(host))
                .sslConfig(config.getSSLConfig())
                .maxConnections(MAX_CONNECTIONS)
                .connectionTimeout(Duration.ofSeconds(5))
                .build();
        // a dockerd restart leaves every idle pooled connection dead: each is dropped and the call sent again
        return DockerClientImpl.getInstance(config, new StaleConnectionRetry(http, MAX_CONNECTIONS + 1));
    }
}
