package dev.skiff.volume.plugin;

import dev.skiff.volume.NodeResources;
import dev.skiff.volume.VolumeException;
import dev.skiff.volume.util.FileProjection;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.DownwardAPIVolumeFile;
import io.fabric8.kubernetes.api.model.DownwardAPIVolumeSource;
import io.fabric8.kubernetes.api.model.ObjectFieldSelector;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceFieldSelector;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.skiff.volume.plugin.ConfigMapPayloadTest.f;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DownwardApiPayloadTest {
    static final NodeResources NODE = new NodeResources(4000, 16L << 30);

    static Pod pod() {
        return new PodBuilder()
                .withNewMetadata().withName("web").withNamespace("shop").withUid("u-1")
                .withLabels(Map.of("app", "web", "rel", "v2")).withAnnotations(Map.of("a", "1"))
                .endMetadata()
                .withNewSpec().withNodeName("node-1")
                .addToContainers(new ContainerBuilder().withName("main").withNewResources()
                        .addToLimits("memory", new Quantity("64Mi")).addToRequests("cpu", new Quantity("500m"))
                        .endResources().build())
                .endSpec().build();
    }

    static DownwardAPIVolumeFile field(String path, String fieldPath, Integer mode) {
        return new DownwardAPIVolumeFile(new ObjectFieldSelector("v1", fieldPath), mode, path, null, null);
    }

    static DownwardAPIVolumeFile resource(String path, String container, String resource, String divisor) {
        return new DownwardAPIVolumeFile(null, null, path,
                new ResourceFieldSelector(container, divisor == null ? null : new Quantity(divisor), resource), null);
    }

    private static Map<String, FileProjection> payload(Integer defaultMode, DownwardAPIVolumeFile... items)
            throws VolumeException {
        return DownwardApiPayload.forVolume(new DownwardAPIVolumeSource(defaultMode, null, List.of(items)), pod(), NODE);
    }

    @Test
    void metadataItemsAsText() throws VolumeException {
        assertEquals(Map.of(
                        "name", f("web", 0644),
                        "ns", f("shop", 0644),
                        "uid", f("u-1", 0644),
                        "labels", f("app=\"web\"\nrel=\"v2\"", 0644),
                        "meta/annotations", f("a=\"1\"", 0400),
                        "app", f("web", 0644)),
                payload(null,
                        field("name", "metadata.name", null),
                        field("ns", "metadata.namespace", null),
                        field("uid", "metadata.uid", null),
                        field("labels", "metadata.labels", null),
                        field("meta/annotations", "metadata.annotations", 0400),
                        field("app", "metadata.labels['app']", null)));
    }

    @Test
    void defaultModeApplies() throws VolumeException {
        assertEquals(Map.of("name", f("web", 0440)), payload(0440, field("name", "metadata.name", null)));
    }

    @Test
    void resourceItemsNameTheirContainer() throws VolumeException {
        assertEquals(Map.of(
                        "mem", f("64", 0644),
                        "cpu_req", f("500", 0644),
                        "cpu_limit", f("4", 0644)),
                payload(null,
                        resource("mem", "main", "limits.memory", "1Mi"),
                        resource("cpu_req", "main", "requests.cpu", "1m"),
                        resource("cpu_limit", "main", "limits.cpu", null)));
    }

    @Test
    void aResourceItemWithoutAContainerIsRefused() {
        VolumeException e = assertThrows(VolumeException.class, () -> payload(null, resource("cpu", null, "limits.cpu", null)));
        assertTrue(e.getMessage().contains("needs a containerName"), e.getMessage());
    }

    @Test
    void envOnlyFieldPathsAreRefused() {
        VolumeException e = assertThrows(VolumeException.class, () -> payload(null, field("ip", "status.podIP", null)));
        assertTrue(e.getMessage().contains("fieldPath \"status.podIP\" is not supported in a volume"), e.getMessage());
        assertThrows(VolumeException.class, () -> payload(null, field("node", "spec.nodeName", null)));
    }

    @Test
    void everyFailingItemIsReported() {
        VolumeException e = assertThrows(VolumeException.class, () -> payload(null,
                field("ok", "metadata.name", null),
                resource("x", "ghost", "limits.cpu", null),
                resource("y", "main", "limits.gpu", null)));
        assertEquals("[container ghost not found, unsupported container resource : limits.gpu]", e.getMessage());
    }

    @Test
    void anItemNeedsExactlyOneSource() {
        VolumeException e = assertThrows(VolumeException.class,
                () -> payload(null, new DownwardAPIVolumeFile(null, null, "empty", null, null)));
        assertTrue(e.getMessage().contains("exactly one of fieldRef and resourceFieldRef"), e.getMessage());
    }

    @Test
    void noItemsNoFiles() throws VolumeException {
        assertEquals(Map.of(), DownwardApiPayload.forVolume(new DownwardAPIVolumeSource(), pod(), NODE));
    }
}
