package dev.skiff.kubelet.it;

import dev.skiff.kubelet.it.PrometheusServer.Sample;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code examples/monitoring} works as written: a real Skiff started with the example's token (made by its script)
 * and policy, a real Prometheus (Debian's) on loopback with the example's configuration (only the port, the CA and
 * token paths and the scrape interval changed) scraping all three metrics paths over HTTPS, and its query API
 * answering for a busy pod: targets up, the pod's CPU rate rising, its memory with the right labels.
 */
class PrometheusExampleIT extends KubeletItSupport {
    static final List<String> JOBS = List.of("kubelet", "kubelet-cadvisor", "kubelet-resource");
    private static final Duration SCRAPE_INTERVAL = Duration.ofSeconds(2);
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final double MIB = 1024 * 1024;
    private static Path secrets;

    @BeforeAll
    static void token() throws Exception {
        secrets = Files.createTempDirectory("skiff-prometheus-it-");
        PrometheusServer.addToken(secrets);
    }

    @AfterAll
    static void removeToken() {
        PrometheusServer.deleteTree(secrets);
    }

    @Override
    String[] kubeletArgs() {
        return new String[]{"--address", "127.0.0.1", "--token-auth-file", secrets.resolve("tokens.csv").toString(),
                "--authorization-policy-file", PrometheusServer.EXAMPLE.resolve("policy.yaml").toString()};
    }

    @Test
    void theExampleConfigurationScrapesABusyPod() throws Exception {
        // a CPU loop held at 200m, and 32 MiB written to tmpfs (charged to the container, counted in its working set)
        kubelet.writeManifest("busy.yaml", podYaml("busy", "", container("burn",
                "dd if=/dev/zero of=/dev/shm/ballast bs=1M count=32 2>/dev/null; while :; do :; done")
                + "    resources:\n      limits: {cpu: 200m, memory: 128Mi}\n"));
        Pod pod = awaitRunning("busy");
        String podName = pod.getMetadata().getName();

        String config = PrometheusServer.exampleConfig(kubelet.securePort(), kubelet.rootDir().resolve("pki/kubelet.crt"),
                secrets.resolve("prometheus.token"), SCRAPE_INTERVAL);
        try (PrometheusServer prometheus = PrometheusServer.start(config)) {
            prometheus.awaitReady(Duration.ofSeconds(60));
            List<PrometheusServer.Target> targets = prometheus.awaitTargetsUp(JOBS, TIMEOUT);
            for (PrometheusServer.Target t : targets) {
                assertTrue(t.scrapeUrl().startsWith("https://127.0.0.1:" + kubelet.securePort() + "/metrics"), t.toString());
            }
            for (String job : JOBS) {
                prometheus.awaitQuery("up{job=\"" + job + "\"}", s -> s.size() == 1 && s.get(0).value() == 1,
                        TIMEOUT, "1");
            }
            prometheus.awaitQuery("kubelet_running_pods{job=\"kubelet\"}", s -> s.size() == 1 && s.get(0).value() > 0,
                    TIMEOUT, "above 0");
            List<Sample> started = prometheus.query("kubelet_started_containers_total{job=\"kubelet\",container_type=\"container\"}");
            assertEquals(1, started.size(), started.toString());
            assertTrue(started.get(0).value() >= 1, started.toString());

            // the busy container's CPU, from the built-in cAdvisor and from the resource metrics: rising at its limit
            for (String job : List.of("kubelet-cadvisor", "kubelet-resource")) {
                prometheus.awaitQuery("rate(container_cpu_usage_seconds_total" + busy(podName, job) + "[30s])",
                        s -> s.size() == 1 && s.get(0).value() > 0.05, TIMEOUT, "a CPU rate above 0.05 core");
            }
            // its memory, with the labels dashboards select on
            Sample cadvisor = prometheus.awaitQuery("container_memory_working_set_bytes" + busy(podName, "kubelet-cadvisor"),
                    s -> s.size() == 1 && s.get(0).value() >= 24 * MIB, TIMEOUT, "one series of at least 24 MiB").get(0);
            assertTrue(cadvisor.value() <= 128 * MIB, "at most the limit: " + cadvisor);
            String imageLabel = cadvisor.labels().get("image"); // the image as the runtime created the container
            assertTrue(image.equals(imageLabel) || imageLabel.startsWith("sha256:"), cadvisor.toString());
            assertEquals("k8s_burn_" + podName + "_" + ns + "_" + uid(pod) + "_0", cadvisor.labels().get("name"),
                    cadvisor.toString());
            assertTrue(cadvisor.labels().get("id").contains(dockerId(pod, "burn")), cadvisor.toString());
            Sample resource = prometheus.awaitQuery("container_memory_working_set_bytes" + busy(podName, "kubelet-resource"),
                    s -> s.size() == 1 && s.get(0).value() >= 24 * MIB, TIMEOUT, "one series of at least 24 MiB").get(0);
            assertTrue(resource.value() <= 128 * MIB, "at most the limit: " + resource);
            prometheus.awaitQuery("pod_memory_working_set_bytes{job=\"kubelet-resource\",namespace=\"" + ns
                    + "\",pod=\"" + podName + "\"}", s -> s.size() == 1 && s.get(0).value() >= 24 * MIB, TIMEOUT,
                    "the pod's working set, at least its container's");
        }
    }

    /** The PromQL selector of the busy container's series in {@code job}. */
    private String busy(String podName, String job) {
        return "{job=\"" + job + "\",namespace=\"" + ns + "\",pod=\"" + podName + "\",container=\"burn\"}";
    }
}
