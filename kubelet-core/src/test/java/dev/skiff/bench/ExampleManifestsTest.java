package dev.skiff.bench;

import dev.skiff.kubelet.pod.Manifest;
import dev.skiff.kubelet.pod.ManifestException;
import dev.skiff.kubelet.pod.StaticPodLoader;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The manifests `make run` serves (examples/manifests) load as valid static pods that run offline. */
class ExampleManifestsTest {
    private static final Path DIR = Path.of("..", "examples", "manifests");
    private static final String NODE = "node1";

    private static Map<String, Pod> loadAll() throws IOException, ManifestException {
        List<Path> files;
        try (Stream<Path> s = Files.list(DIR)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".yaml")).sorted().toList();
        }
        Map<String, Pod> pods = new TreeMap<>();
        StaticPodLoader loader = new StaticPodLoader(NODE);
        for (Path f : files) {
            byte[] bytes = Files.readAllBytes(f);
            String first = new String(bytes, StandardCharsets.UTF_8).lines().findFirst().orElse("");
            assertTrue(first.startsWith("# ") && first.length() > 10, f + ": first line must say what it shows: " + first);
            Manifest m = loader.load(f, bytes);
            assertTrue(m.pod().isPresent(), f + " holds no pod");
            pods.put(f.getFileName().toString(), m.pod().get());
        }
        return pods;
    }

    @Test
    void everyExampleIsAValidStaticPodOnTheLocalImage() throws Exception {
        Map<String, Pod> pods = loadAll();
        assertTrue(pods.size() >= 3, "expected at least the hostAliases, shareProcessNamespace and crash-loop examples: " + pods.keySet());
        for (var e : pods.entrySet()) {
            Pod pod = e.getValue();
            assertTrue(pod.getMetadata().getName().endsWith("-" + NODE), e.getKey());
            assertEquals("default", pod.getMetadata().getNamespace(), e.getKey());
            for (Container c : pod.getSpec().getContainers()) {
                assertEquals("skiff-test/busybox:1", c.getImage(), e.getKey() + " " + c.getName());
                // No registry is reachable: the image must never be pulled.
                assertTrue(List.of("IfNotPresent", "Never").contains(c.getImagePullPolicy()), e.getKey() + " " + c.getName());
            }
        }
    }

    /**
     * `make run` has no cluster DNS, so a ClusterFirst example would log a fallback warning; and each example stops
     * within seconds: a short grace period, or (shareProcessNamespace) processes that are not PID 1 and so obey SIGTERM.
     */
    @Test
    void examplesUseTheHostDnsAndStopWithinSeconds() throws Exception {
        for (var e : loadAll().entrySet()) {
            Pod pod = e.getValue();
            assertEquals("Default", pod.getSpec().getDnsPolicy(), e.getKey());
            Long grace = pod.getSpec().getTerminationGracePeriodSeconds();
            boolean pid1IsPause = Boolean.TRUE.equals(pod.getSpec().getShareProcessNamespace());
            assertTrue(pid1IsPause || (grace != null && grace <= 5), e.getKey() + ": terminationGracePeriodSeconds " + grace);
        }
    }

    @Test
    void theIssueFeaturesAreCovered() throws Exception {
        Map<String, Pod> pods = loadAll();
        Pod aliases = pods.get("host-aliases.yaml");
        assertFalse(aliases.getSpec().getHostAliases().isEmpty());
        assertEquals("web-0", aliases.getSpec().getHostname());
        assertEquals("web", aliases.getSpec().getSubdomain());

        Pod shared = pods.get("shared-pid.yaml");
        assertEquals(Boolean.TRUE, shared.getSpec().getShareProcessNamespace());
        assertEquals(2, shared.getSpec().getContainers().size());

        Pod crash = pods.get("crash-loop.yaml");
        assertEquals("Always", crash.getSpec().getRestartPolicy());
        assertTrue(String.join(" ", crash.getSpec().getContainers().get(0).getCommand()).contains("exit 1"));

        Pod web = pods.get("web.yaml");
        assertEquals(18080, web.getSpec().getContainers().get(0).getPorts().get(0).getHostPort());

        Pod env = pods.get("env-expansion.yaml");
        List<EnvVar> vars = env.getSpec().getContainers().get(0).getEnv();
        assertTrue(vars.stream().anyMatch(v -> v.getValueFrom() != null && v.getValueFrom().getFieldRef() != null));
        assertTrue(vars.stream().anyMatch(v -> v.getValue() != null && v.getValue().contains("$(")));

        var hooks = pods.get("lifecycle-demo.yaml").getSpec().getContainers().get(0).getLifecycle();
        assertTrue(String.join(" ", hooks.getPostStart().getExec().getCommand()).contains("/usr/share/message"));
        assertTrue(hooks.getPreStop().getExec() != null);
    }
}
