package dev.skiff.kubelet.stats;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skiff.cri.docker.DockerCriRuntime;
import dev.skiff.cri.docker.DockerShimConfig;
import dev.skiff.cri.stats.CgroupStatsReader;
import dev.skiff.cri.testing.TestDocker;
import dev.skiff.cri.testing.TestImages;
import dev.skiff.cri.v1.*;
import dev.skiff.kubelet.metrics.ExpositionBuffer;
import dev.skiff.kubelet.metrics.MetricsExposition;
import dev.skiff.kubelet.metrics.TextScrape;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.MultiCollector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The kubelet's stats on a real pod (in-process Docker shim, real cgroups, a real emptyDir directory with a file
 * in it and a claim's volume directory): the Summary's JSON with upstream's field names, CPU rising,
 * only_cpu_and_memory, and the /metrics/resource, /metrics/cadvisor and kubelet_volume_stats_* texts.
 */
class KubeletStatsIT {
    private static final String NS = TestDocker.newNamespace("skiff-kstats-it");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path root;
    private static DockerCriRuntime cri;
    private static VolumeStatsCache volumes;
    private static SummaryProvider provider;
    private static String uid;
    private static String containerId;

    @BeforeAll
    static void startPod() throws Exception {
        root = Files.createTempDirectory("skiff-kstats-it");
        Path rootDir = root.resolve("kubelet"), logs = root.resolve("pods-logs");
        uid = UUID.randomUUID().toString();
        Path cache = rootDir.resolve("pods").resolve(uid).resolve("volumes/kubernetes.io~empty-dir/cache");
        Files.createDirectories(cache);
        Files.write(cache.resolve("blob"), new byte[1 << 20]);
        Files.createDirectories(rootDir.resolve("pods").resolve(uid).resolve("volumes/kubernetes.io~local-volume/data"));
        Pod pod = new PodBuilder().withNewMetadata().withName("busy").withNamespace(NS).withUid(uid).endMetadata()
                .withNewSpec()
                .addNewVolume().withName("cache").withNewEmptyDir().endEmptyDir().endVolume()
                .addNewVolume().withName("data").withNewPersistentVolumeClaim().withClaimName("claim1").endPersistentVolumeClaim().endVolume()
                .addNewVolume().withName("host").withNewHostPath().withPath("/etc").endHostPath().endVolume()
                .endSpec().build();

        cri = DockerCriRuntime.connect(new DockerShimConfig(TestDocker.ENDPOINT, null));
        PodSandboxConfig sandbox = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName("busy").setNamespace(NS).setUid(uid))
                .setHostname("busy")
                .setLogDirectory(logs.resolve(NS + "_busy_" + uid).toString())
                .build();
        String sandboxId = cri.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(sandbox).build()).getPodSandboxId();
        ContainerConfig container = ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName("busy"))
                .setImage(ImageSpec.newBuilder().setImage(TestImages.busybox(TestDocker.client())))
                .addCommand("sh").addArgs("-c").addArgs("echo started; while :; do :; done")
                .setLogPath("busy/0.log")
                .build();
        containerId = cri.runtime().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(sandboxId)
                .setConfig(container).setSandboxConfig(sandbox).build()).getContainerId();
        cri.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(containerId).build());

        volumes = new VolumeStatsCache(rootDir.resolve("pods"), () -> List.of(pod), Duration.ofMinutes(1), Clock.systemUTC());
        provider = new SummaryProvider("node-it", cri.runtime(), cri.images(), new CgroupStatsReader(Path.of("/sys/fs/cgroup")),
                volumes, rootDir, logs, 8L << 30);
    }

    @AfterAll
    static void cleanUp() throws Exception {
        try {
            TestDocker.removeNamespace(NS);
        } finally {
            if (volumes != null) volumes.close();
            if (cri != null) cri.close();
            try (Stream<Path> all = Files.walk(root)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static JsonNode ourPod(Summary summary) {
        return ourPod((JsonNode) JSON.valueToTree(summary));
    }

    private static JsonNode ourPod(JsonNode tree) {
        for (JsonNode pod : tree.path("pods")) {
            if (pod.path("podRef").path("uid").asText().equals(uid)) {
                return pod;
            }
        }
        return null;
    }

    @Test
    void theSummaryHasUpstreamsFieldsAndRisingCpu() throws Exception {
        await("the pod's summary has a CPU rate, its rootfs, logs and volumes", () -> {
            JsonNode pod = ourPod(provider.summary(false));
            return pod != null && pod.path("cpu").has("usageNanoCores") && pod.path("containers").path(0).has("rootfs")
                    && pod.path("containers").path(0).has("logs") && pod.path("volume").size() == 2;
        }, Duration.ofSeconds(60));
        String json = JSON.writeValueAsString(provider.summary(false));
        JsonNode decoded = JSON.readTree(json);
        JsonNode node = decoded.path("node");
        assertEquals("node-it", node.path("nodeName").asText());
        assertTrue(node.path("startTime").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"), node.path("startTime").asText());
        assertTrue(node.path("cpu").path("usageCoreNanoSeconds").asLong() > 0, node.toString());
        assertTrue(node.path("memory").path("workingSetBytes").asLong() > 0, node.toString());
        assertTrue(node.path("fs").path("capacityBytes").asLong() > 0, node.toString());
        assertTrue(node.path("runtime").path("imageFs").path("capacityBytes").asLong() > 0, node.toString());
        assertTrue(node.path("rlimit").path("maxpid").asLong() > 0 && node.path("rlimit").path("curproc").asLong() > 0, node.toString());
        assertTrue(names(node.path("systemContainers")).contains("pods"), node.toString());

        JsonNode pod = ourPod(decoded);
        assertNotNull(pod);
        assertEquals("busy", pod.path("podRef").path("name").asText());
        assertEquals(NS, pod.path("podRef").path("namespace").asText());
        JsonNode c = pod.path("containers").path(0);
        assertEquals("busy", c.path("name").asText());
        assertTrue(c.path("cpu").path("usageCoreNanoSeconds").asLong() > 0, c.toString());
        assertTrue(c.path("memory").path("workingSetBytes").asLong() > 0, c.toString());
        assertTrue(c.path("rootfs").path("capacityBytes").asLong() > 0 && c.path("rootfs").has("usedBytes"), c.toString());
        assertTrue(c.path("logs").path("usedBytes").asLong() > 0, "the container wrote a log line: " + c);
        assertEquals("eth0", pod.path("network").path("name").asText(), "the default interface inline: " + pod.path("network"));
        assertTrue(pod.path("network").path("interfaces").path(0).has("rxBytes"), pod.path("network").toString());
        JsonNode cache = byName(pod.path("volume"), "cache");
        assertTrue(cache.path("usedBytes").asLong() >= 1 << 20, "the 1 MiB file: " + cache);
        assertTrue(cache.path("capacityBytes").asLong() > 0 && cache.path("inodesUsed").asLong() >= 2, cache.toString());
        assertFalse(cache.has("pvcRef"), cache.toString());
        JsonNode data = byName(pod.path("volume"), "data");
        assertEquals("claim1", data.path("pvcRef").path("name").asText());
        assertEquals(NS, data.path("pvcRef").path("namespace").asText());
        assertTrue(pod.path("ephemeral-storage").path("usedBytes").asLong() >= 1 << 20, pod.path("ephemeral-storage").toString());
        assertTrue(pod.path("process_stats").path("process_count").asLong() >= 2, pod.path("process_stats").toString());

        long before = c.path("cpu").path("usageCoreNanoSeconds").asLong();
        await("the busy pod's CPU rises", () -> ourPod(provider.summary(true)).path("containers").path(0).path("cpu")
                .path("usageCoreNanoSeconds").asLong() > before, Duration.ofSeconds(30));

        JsonNode only = ourPod(provider.summary(true));
        assertTrue(only.path("cpu").has("usageCoreNanoSeconds") && only.path("memory").has("workingSetBytes"), only.toString());
        for (String absent : List.of("network", "volume", "ephemeral-storage", "process_stats")) {
            assertFalse(only.has(absent), "only_cpu_and_memory leaves out " + absent + ": " + only);
        }
        assertFalse(only.path("containers").path(0).has("rootfs"));
        assertFalse(JSON.valueToTree(provider.summary(true)).path("node").has("fs"));
    }

    @Test
    void metricsTextsNameTheContainer() throws Exception {
        await("the volumes are measured", () -> volumes.forPod(uid).size() == 2, Duration.ofSeconds(60));
        provider.summary(true);
        Thread.sleep(1100); // a second read of the cgroups gives the rates
        String resource = text(new ResourceMetricsCollector(provider));
        assertTrue(resource.contains("scrape_error 0"), resource);
        assertTrue(resource.contains("# TYPE node_cpu_usage_seconds_total counter"), resource);
        assertTrue(line(resource, "container_cpu_usage_seconds_total{container=\"busy\",namespace=\"" + NS + "\",pod=\"busy\"}")
                .matches(".*\\} [0-9.eE+-]+ \\d{13}"), "a value and a timestamp");
        assertFalse(line(resource, "pod_memory_working_set_bytes{namespace=\"" + NS + "\",pod=\"busy\"}").isEmpty());
        assertFalse(line(resource, "container_start_time_seconds{container=\"busy\",namespace=\"" + NS + "\",pod=\"busy\"}").isEmpty());

        String cadvisor = text(new CadvisorCollector(provider));
        String cpu = line(cadvisor, "container_cpu_usage_seconds_total{container=\"busy\",cpu=\"total\",id=\"", "namespace=\"" + NS + "\"");
        assertTrue(cpu.contains(containerId), "id is the cgroup path: " + cpu);
        assertTrue(cpu.contains("image=\"" + TestImages.BUSYBOX + "\""), cpu);
        assertTrue(cpu.contains("name=\"k8s_busy_busy_" + NS + "_" + uid + "_0\""), "Docker's name: " + cpu);
        assertTrue(cpu.contains("namespace=\"" + NS + "\",pod=\"busy\""), cpu);
        for (String metric : List.of("container_memory_working_set_bytes", "container_memory_rss", "container_memory_usage_bytes",
                "container_memory_cache", "container_start_time_seconds", "container_last_seen")) {
            assertFalse(line(cadvisor, metric + "{container=\"busy\",", "namespace=\"" + NS + "\"").isEmpty(), metric + " in\n" + cadvisor);
        }
        String rx = line(cadvisor, "container_network_receive_bytes_total{container=\"POD\",", "namespace=\"" + NS + "\"");
        assertTrue(rx.contains("interface=\"eth0\"") && rx.contains("pod=\"busy\""), rx);

        String volumeText = text(new VolumeStatsCollector(volumes));
        assertFalse(line(volumeText, "kubelet_volume_stats_capacity_bytes{namespace=\"" + NS + "\",persistentvolumeclaim=\"claim1\"}").isEmpty(), volumeText);
        assertFalse(line(volumeText, "kubelet_volume_stats_inodes_used{namespace=\"" + NS + "\",persistentvolumeclaim=\"claim1\"}").isEmpty(), volumeText);
        assertFalse(volumeText.contains("cache"), "an emptyDir is no claim");
    }

    /** What a scrape without an Accept header gets: the text format 0.0.4. */
    private static String text(TextScrape scrape) {
        ExpositionBuffer out = new ExpositionBuffer(1024);
        scrape.write(MetricsExposition.negotiate(null), out);
        return new String(out.toByteArray(), StandardCharsets.UTF_8);
    }

    private static String text(MultiCollector collector) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, collector.collect());
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The first line starting with {@code prefix} (and containing {@code part}: other pods share the host), or "". */
    private static String line(String text, String prefix, String part) {
        return text.lines().filter(l -> l.startsWith(prefix) && l.contains(part)).findFirst().orElse("");
    }

    private static String line(String text, String prefix) {
        return line(text, prefix, "");
    }

    private static List<String> names(JsonNode array) {
        return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(n -> n.path("name").asText()).toList();
    }

    private static JsonNode byName(JsonNode array, String name) {
        for (JsonNode n : array) {
            if (n.path("name").asText().equals(name)) {
                return n;
            }
        }
        fail("no " + name + " in " + array);
        return null;
    }

    private static void await(String what, BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > until) {
                fail("timed out waiting until " + what);
            }
            Thread.sleep(200);
        }
    }
}
