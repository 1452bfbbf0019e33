package dev.skiff.kubelet.it;

import dev.skiff.cri.testing.TestDocker;
import dev.skiff.cri.testing.TestImages;
import dev.skiff.kubelet.Kubelet;
import dev.skiff.kubelet.config.HostFacts;
import dev.skiff.kubelet.config.KubeletConfigurationLoader;
import dev.skiff.kubelet.config.KubeletFlags;
import dev.skiff.kubelet.config.KubeletSettings;
import dev.skiff.kubelet.metrics.MetricsExposition;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The kubelet's metrics from a real Skiff (in this JVM, so its registries can be read) running a real pod on Docker:
 * what {@code /metrics} and {@code /metrics/probes} will serve, read back as the text format a scrape gets.
 */
class MetricsIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    private String ns;
    private SkiffKubelet dirs;
    private Kubelet kubelet;

    @BeforeEach
    void start() throws Exception {
        String image = TestImages.busybox(TestDocker.client());
        ns = TestDocker.newNamespace("it");
        dirs = new SkiffKubelet(); // its directories and manifest writing; its process is never started
        Path config = dirs.rootDir().resolveSibling("inproc-config.yaml");
        Files.writeString(config, "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
                + "podLogsDir: " + dirs.podLogsDir() + "\nimageGCHighThresholdPercent: 100\n");
        KubeletFlags flags = new KubeletFlags();
        new CommandLine(flags).parseArgs("--config", config.toString(),
                "--pod-manifest-path", dirs.manifestDir().toString(),
                "--root-dir", dirs.rootDir().toString(),
                "--hostname-override", dirs.nodeName(),
                "--read-only-port", "0", "--healthz-port", "0");
        KubeletSettings settings = KubeletSettings.load(flags, HostFacts.current(), new KubeletConfigurationLoader());
        kubelet = new Kubelet(settings, status -> { });
        kubelet.start();
        dirs.writeManifest("probed.yaml", """
                apiVersion: v1
                kind: Pod
                metadata: {name: probed, namespace: %s}
                spec:
                  terminationGracePeriodSeconds: 1
                  volumes: [{name: scratch, emptyDir: {}}]
                  initContainers:
                  - {name: init, image: %s, imagePullPolicy: IfNotPresent, command: [sh, -c, "true"]}
                  containers:
                  - name: app
                    image: %s
                    imagePullPolicy: IfNotPresent
                    command: [sh, -c, "exec sleep 3600"]
                    volumeMounts: [{name: scratch, mountPath: /scratch}]
                    readinessProbe:
                      exec: {command: ["true"]}
                      periodSeconds: 1
                """.formatted(ns, image, image));
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (kubelet != null) {
                kubelet.close(); // the pod keeps running: removed with the namespace below
            }
        } finally {
            try {
                if (ns != null) {
                    TestDocker.removeNamespace(ns);
                }
            } finally {
                if (dirs != null) {
                    dirs.close();
                }
            }
        }
    }

    @Test
    void aRunningProbedPodShowsInTheMetricsAndItsProbeSeriesGoWithIt() throws Exception {
        String pod = dirs.podName("probed");
        Map<String, String> app = Map.of("probe_type", "Readiness", "result", "successful", "container", "app",
                "pod", pod, "namespace", ns);
        Scrape probes = await(kubelet.probesRegistry(), "two successful readiness probes of " + pod,
                s -> s.sum("prober_probe_total", app) >= 2);
        List<Map<String, String>> series = probes.series("prober_probe_total", app);
        assertEquals(1, series.size(), probes.text());
        String uid = series.get(0).get("pod_uid");
        assertTrue(uid != null && !uid.isEmpty(), probes.text());
        assertTrue(probes.sum("prober_probe_duration_seconds_count", Map.of("probe_type", "Readiness",
                "container", "app", "pod", pod, "namespace", ns)) >= 2, probes.text());

        Scrape m = await(kubelet.metricsRegistry(), "the pod started once",
                s -> s.sum("kubelet_pod_start_duration_seconds_count", Map.of()) == 1);
        // this kubelet's own counts: one sandbox, one init and one app container
        assertEquals(1, m.sum("kubelet_started_pods_total", Map.of()), m.text());
        assertEquals(1, m.sum("kubelet_started_containers_total", Map.of("container_type", "container")), m.text());
        assertEquals(1, m.sum("kubelet_started_containers_total", Map.of("container_type", "init_container")), m.text());
        assertEquals(0, m.sum("kubelet_started_pods_errors_total", Map.of()), m.text());
        assertEquals(1, m.sum("kubelet_node_name", Map.of("node", dirs.nodeName())), m.text());
        // the shared Docker may run other kubelets' pods too: at least ours
        assertTrue(m.sum("kubelet_running_pods", Map.of()) >= 1, m.text());
        assertTrue(m.sum("kubelet_running_containers", Map.of("container_state", "running")) >= 1, m.text());
        assertTrue(m.sum("kubelet_running_containers", Map.of("container_state", "exited")) >= 1, "the init container\n"
                + m.text());
        for (String op : List.of("run_podsandbox", "podsandbox_status", "create_container", "start_container",
                "list_podsandbox", "list_containers", "container_status", "exec_sync", "image_status", "version")) {
            assertTrue(m.sum("kubelet_runtime_operations_total", Map.of("operation_type", op)) >= 1, op + "\n" + m.text());
            assertTrue(m.sum("kubelet_runtime_operations_duration_seconds_count", Map.of("operation_type", op)) >= 1,
                    op + "\n" + m.text());
        }
        assertTrue(m.sum("kubelet_runtime_operations_total", Map.of("operation_type", "create_container")) >= 2,
                m.text());
        assertTrue(m.sum("kubelet_pleg_relist_duration_seconds_count", Map.of()) >= 2, m.text());
        assertTrue(m.sum("kubelet_pleg_relist_interval_seconds_count", Map.of()) >= 1, m.text());
        assertTrue(m.sum("kubelet_pleg_relist_interval_seconds_bucket", Map.of("le", "+Inf"))
                == m.sum("kubelet_pleg_relist_interval_seconds_count", Map.of()), m.text());
        assertTrue(m.sum("kubelet_pod_worker_duration_seconds_count", Map.of("operation_type", "create")) >= 1,
                m.text());
        assertTrue(m.sum("storage_operation_duration_seconds_count", Map.of("volume_plugin", "kubernetes.io/empty-dir",
                "operation_name", "volume_mount", "status", "success", "migrated", "false")) >= 1, m.text());
        assertTrue(m.sum("process_cpu_seconds_total", Map.of()) > 0, m.text());
        assertTrue(m.sum("process_resident_memory_bytes", Map.of()) > 0, m.text());

        dirs.deleteManifest("probed.yaml");
        Scrape gone = await(kubelet.probesRegistry(), "the probe series of " + pod + " gone",
                s -> s.series("prober_probe_total", Map.of("pod_uid", uid)).isEmpty()
                        && s.series("prober_probe_duration_seconds_count", Map.of("pod", pod)).isEmpty());
        assertTrue(!gone.text().contains(uid), gone.text());
        await(kubelet.metricsRegistry(), "the emptyDir torn down", s -> s.sum("storage_operation_duration_seconds_count",
                Map.of("volume_plugin", "kubernetes.io/empty-dir", "operation_name", "volume_unmount",
                        "status", "success")) >= 1);
    }

    /** Scrapes until {@code done} holds, or fails with the last scrape. */
    private static Scrape await(PrometheusRegistry registry, String what, Predicate<Scrape> done) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        Scrape s;
        do {
            s = Scrape.of(registry);
            if (done.test(s)) {
                return s;
            }
            Thread.sleep(250);
        } while (System.nanoTime() < deadline);
        fail("timed out waiting for " + what + "\n" + s.text());
        return s;
    }

    /** One scrape in the text format 0.0.4, parsed into samples. */
    record Scrape(String text, List<Sample> samples) {
        private static final Pattern LABEL = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"");

        record Sample(String name, Map<String, String> labels, double value) {
        }

        static Scrape of(PrometheusRegistry registry) throws Exception {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            String type = MetricsExposition.write(registry, "text/plain;version=0.0.4", out);
            assertEquals("text/plain; version=0.0.4; charset=utf-8", type);
            String text = out.toString(StandardCharsets.UTF_8);
            List<Sample> samples = new ArrayList<>();
            for (String line : text.split("\n")) {
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int brace = line.indexOf('{');
                int space = line.lastIndexOf(' ');
                String name = brace < 0 ? line.substring(0, space) : line.substring(0, brace);
                Map<String, String> labels = new HashMap<>();
                if (brace >= 0) {
                    Matcher m = LABEL.matcher(line.substring(brace, line.lastIndexOf('}')));
                    while (m.find()) {
                        labels.put(m.group(1), m.group(2));
                    }
                }
                samples.add(new Sample(name, labels, Double.parseDouble(line.substring(space + 1))));
            }
            return new Scrape(text, samples);
        }

        /** The label sets of the samples of {@code name} that carry every label of {@code want}. */
        List<Map<String, String>> series(String name, Map<String, String> want) {
            return samples.stream().filter(s -> matches(s, name, want)).map(Sample::labels).toList();
        }

        /** The sum of those samples' values (0 when none). */
        double sum(String name, Map<String, String> want) {
            return samples.stream().filter(s -> matches(s, name, want)).mapToDouble(Sample::value).sum();
        }

        private static boolean matches(Sample s, String name, Map<String, String> want) {
            return s.name().equals(name) && s.labels().entrySet().containsAll(want.entrySet());
        }
    }
}
