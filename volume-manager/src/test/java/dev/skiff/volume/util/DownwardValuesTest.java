package dev.skiff.volume.util;

import dev.skiff.volume.NodeResources;
import dev.skiff.volume.VolumeException;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ObjectFieldSelector;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceFieldSelector;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DownwardValuesTest {
    private static final NodeResources NODE = new NodeResources(2000, 8L << 30);

    static Pod pod() {
        return new PodBuilder()
                .withNewMetadata().withName("web").withNamespace("shop").withUid("u-1")
                .withLabels(new TreeMap<>(Map.of("app", "web", "tier", "front")))
                .withAnnotations(Map.of("note", "say \"hi\"\n\tbye"))
                .endMetadata()
                .withNewSpec()
                .addToContainers(new ContainerBuilder().withName("main").withNewResources()
                        .addToLimits("cpu", new Quantity("250m")).addToLimits("memory", new Quantity("1Gi"))
                        .addToLimits("ephemeral-storage", new Quantity("2G"))
                        .addToRequests("cpu", new Quantity("100m")).addToRequests("memory", new Quantity("1000"))
                        .endResources().build())
                .addToContainers(new ContainerBuilder().withName("bare").build())
                .addToInitContainers(new ContainerBuilder().withName("init").withNewResources()
                        .addToLimits("cpu", new Quantity("1.5")).endResources().build())
                .endSpec().build();
    }

    private static String field(String path) throws VolumeException {
        return DownwardValues.fieldRef(new ObjectFieldSelector(null, path), pod());
    }

    private static String resource(String container, String resource, String divisor) throws VolumeException {
        return DownwardValues.resourceField(new ResourceFieldSelector(container, divisor == null ? null : new Quantity(divisor),
                resource), pod(), null, NODE);
    }

    @Test
    void metadataFields() throws VolumeException {
        assertEquals("web", field("metadata.name"));
        assertEquals("shop", field("metadata.namespace"));
        assertEquals("u-1", field("metadata.uid"));
        assertEquals("app=\"web\"\ntier=\"front\"", field("metadata.labels"));
        assertEquals("note=\"say \\\"hi\\\"\\n\\tbye\"", field("metadata.annotations"));
        assertEquals("web", field("metadata.labels['app']"));
        assertEquals("", field("metadata.labels['missing']"));
        assertEquals("say \"hi\"\n\tbye", field("metadata.annotations['note']"));
    }

    @Test
    void emptyMapsReadAsEmpty() throws VolumeException {
        Pod bare = new PodBuilder().withNewMetadata().withName("p").endMetadata().build();
        assertEquals("", DownwardValues.metadataField("metadata.labels", bare));
        assertEquals("", DownwardValues.metadataField("metadata.annotations['x']", bare));
        assertEquals("", DownwardValues.metadataField("metadata.uid", bare));
    }

    @Test
    void unsupportedPathsAndVersions() {
        VolumeException path = assertThrows(VolumeException.class, () -> field("spec.nodeName"));
        assertEquals("unsupported fieldPath: spec.nodeName", path.getMessage());
        VolumeException version = assertThrows(VolumeException.class,
                () -> DownwardValues.fieldRef(new ObjectFieldSelector("v2", "metadata.name"), pod()));
        assertEquals("unsupported pod version: v2", version.getMessage());
    }

    @Test
    void volumePathsAreTheMetadataOnes() {
        for (String ok : new String[]{"metadata.name", "metadata.namespace", "metadata.uid", "metadata.labels",
                "metadata.annotations", "metadata.labels['a']", "metadata.annotations['x/y']"}) {
            assertTrue(DownwardValues.isMetadataPath(ok), ok);
        }
        for (String no : new String[]{"spec.nodeName", "status.podIP", "metadata.generateName", "metadata.name['x']", null}) {
            assertFalse(DownwardValues.isMetadataPath(no), String.valueOf(no));
        }
    }

    @Test
    void cpuRoundsUpInUnitsOfTheDivisor() throws VolumeException {
        assertEquals("1", resource("main", "limits.cpu", null));
        assertEquals("250", resource("main", "limits.cpu", "1m"));
        assertEquals("1", resource("main", "requests.cpu", null));
        assertEquals("100", resource("main", "requests.cpu", "1m"));
        assertEquals("2", resource("init", "limits.cpu", null), "init containers are found too");
    }

    @Test
    void memoryAndStorageRoundUpInUnitsOfTheDivisor() throws VolumeException {
        assertEquals(Long.toString(1L << 30), resource("main", "limits.memory", null));
        assertEquals("1024", resource("main", "limits.memory", "1Mi"));
        assertEquals("1", resource("main", "requests.memory", "1k"));
        assertEquals("2", resource("main", "requests.memory", "999"));
        assertEquals("2", resource("main", "limits.ephemeral-storage", "1G"));
        assertEquals("0", resource("main", "requests.ephemeral-storage", null));
    }

    @Test
    void missingLimitsReadAsNodeAllocatable() throws VolumeException {
        assertEquals("2", resource("bare", "limits.cpu", null));
        assertEquals("2000", resource("bare", "limits.cpu", "1m"));
        assertEquals("8", resource("bare", "limits.memory", "1Gi"));
        assertEquals("0", resource("bare", "requests.cpu", null));
        assertEquals("0", resource("bare", "requests.memory", null));
    }

    @Test
    void theContainerDefaultsToSelfAndMustExist() throws VolumeException {
        Pod pod = pod();
        assertEquals("250", DownwardValues.resourceField(new ResourceFieldSelector(null, new Quantity("1m"), "limits.cpu"),
                pod, pod.getSpec().getContainers().get(0), NODE));
        VolumeException none = assertThrows(VolumeException.class, () -> resource(null, "limits.cpu", null));
        assertTrue(none.getMessage().contains("containerName is required"), none.getMessage());
        VolumeException missing = assertThrows(VolumeException.class, () -> resource("nope", "limits.cpu", null));
        assertEquals("container nope not found", missing.getMessage());
        VolumeException bad = assertThrows(VolumeException.class, () -> resource("main", "limits.gpu", null));
        assertEquals("unsupported container resource : limits.gpu", bad.getMessage());
    }

    @Test
    void goQuoteEscapesAsGoDoes() {
        assertEquals("\"plain text, ünïcode ✓ 😀\"", DownwardValues.goQuote("plain text, ünïcode ✓ 😀"));
        assertEquals("\"\\\"q\\\" \\\\ \\a\\b\\f\\n\\r\\t\\v\"", DownwardValues.goQuote("\"q\" \\ \u0007\b\f\n\r\t\u000b"));
        assertEquals("\"\\x00\\x1f\\x7f\"", DownwardValues.goQuote("\u0000\u001f\u007f"));
        assertEquals("\"\\u00a0\\u200b\\u0085\"", DownwardValues.goQuote("\u00a0\u200b\u0085"));
    }

    @Test
    void formatMapSortsKeys() {
        Map<String, String> m = new java.util.HashMap<>();
        m.put("b", "2");
        m.put("a", "1");
        m.put("c", null);
        assertEquals("a=\"1\"\nb=\"2\"\nc=\"\"", DownwardValues.formatMap(m));
        assertEquals("", DownwardValues.formatMap(Map.of()));
        assertEquals("", DownwardValues.formatMap(null));
    }
}
