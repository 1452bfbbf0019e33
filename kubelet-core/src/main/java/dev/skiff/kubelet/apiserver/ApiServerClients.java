package dev.skiff.kubelet.apiserver;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** The client of {@code --kubeconfig}: every request with a timeout and no client-side retries (the callers retry). */
public final class ApiServerClients {
    /** Upstream's kubelet gives each API call at most this (its runtime-request default is longer; not here). */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private ApiServerClients() {}

    /** A client from the kubeconfig file; a file that cannot be read or used is named in the error, its content never. */
    public static KubernetesClient fromKubeconfig(Path kubeconfig) throws IOException {
        String content;
        try {
            content = Files.readString(kubeconfig);
        } catch (IOException e) {
            throw new IOException("cannot read --kubeconfig " + kubeconfig + ": " + e.getClass().getSimpleName(), e);
        }
        Config parsed;
        try {
            parsed = Config.fromKubeconfig(null, content, kubeconfig.toString());
        } catch (RuntimeException e) {
            throw new IOException("--kubeconfig " + kubeconfig + " is not a usable kubeconfig (check its current-context,"
                    + " cluster server and credentials)", e);
        }
        return withTimeouts(parsed);
    }

    /** {@code config} with the kubelet's timeouts: 10 s per request and per connect, no retries inside the client. */
    public static KubernetesClient withTimeouts(Config config) {
        Config c = new ConfigBuilder(config)
                .withConnectionTimeout((int) REQUEST_TIMEOUT.toMillis())
                .withRequestTimeout((int) REQUEST_TIMEOUT.toMillis())
                .withRequestRetryBackoffLimit(0)
                .build();
        return new KubernetesClientBuilder().withConfig(c).build();
    }
}
