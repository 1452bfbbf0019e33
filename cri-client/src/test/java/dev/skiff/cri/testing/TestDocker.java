package dev.skiff.cri.testing;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A Docker client for tests, and cleanup by pod namespace: every integration test puts its
 * pods in a namespace of its own ({@link #newNamespace}) and removes everything carrying it
 * in {@code @AfterEach}/{@code @AfterAll}, whether the test passed or not.
 */
public final class TestDocker {
    public static final String ENDPOINT = "unix:///var/run/docker.sock";
    private static DockerClient client;

    private TestDocker() {}

    public static synchronized DockerClient client() {
        if (client == null) {
            DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                    .withDockerHost(ENDPOINT)
                    .withApiVersion("1.41")
                    .build();
            client = DockerClientImpl.getInstance(config, new ApacheDockerHttpClient.Builder()
                    .dockerHost(URI.create(ENDPOINT))
                    .connectionTimeout(Duration.ofSeconds(5))
                    .responseTimeout(Duration.ofSeconds(120))
                    .build());
        }
        return client;
    }

    /** A namespace unique to one test run, e.g. {@code skiff-it-3f9a1c}. */
    public static String newNamespace(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 6);
    }

    /** Removes, with force, every container whose pod namespace label is {@code namespace}. */
    public static void removeNamespace(String namespace) {
        List<Container> all = client().listContainersCmd()
                .withShowAll(true)
                .withLabelFilter(Map.of("io.kubernetes.pod.namespace", namespace))
                .exec();
        for (Container c : all) {
            try {
                client().removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
            } catch (RuntimeException ignored) {
                // already gone
            }
        }
    }
}
