package dev.skiff.kubelet.pod;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Quantity;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class ContainerSpecHashTest {
    private static Container base() {
        return new ContainerBuilder().withName("web").withImage("nginx:1.25").withCommand("nginx")
                .withArgs("-g", "daemon off;")
                .withEnv(new EnvVar("A", "1", null), new EnvVar("B", "2", null))
                .withPorts(new ContainerPortBuilder().withContainerPort(80).withProtocol("TCP").build())
                .withNewResources().withLimits(Map.of("cpu", new Quantity("500m"), "memory", new Quantity("64Mi")))
                .endResources().build();
    }

    @Test
    void fnv1a32KnownVectors() {
        // Reference values of FNV-1a 32.
        assertEquals(0x811c9dc5, ContainerSpecHash.fnv1a32(new byte[0]));
        assertEquals(0xe40c292c, ContainerSpecHash.fnv1a32("a".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(0xbf9cf968, ContainerSpecHash.fnv1a32("foobar".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void equalSpecsHashEqually() {
        assertEquals(ContainerSpecHash.of(base()), ContainerSpecHash.of(base()));
    }

    @Test
    void hashIsPinned() {
        // Pinned: the hash goes into container labels, so it must not change across Skiff versions. If this
        // fails, running containers would all be restarted on upgrade.
        Container c = new ContainerBuilder().withName("web").withImage("nginx:1.25").build();
        assertEquals("{\"image\":\"nginx:1.25\",\"name\":\"web\"}",
                new String(CanonicalJson.bytes(c), StandardCharsets.UTF_8));
        assertEquals(Integer.toHexString(ContainerSpecHash.fnv1a32(
                "{\"image\":\"nginx:1.25\",\"name\":\"web\"}".getBytes(StandardCharsets.UTF_8))), ContainerSpecHash.of(c));
    }

    @Test
    void mapOrderAndEmptyCollectionsDoNotMatter() {
        Container a = base();
        Container b = base();
        b.getResources().setLimits(new java.util.TreeMap<>(Map.of("memory", new Quantity("64Mi"),
                "cpu", new Quantity("500m"))));
        b.setVolumeMounts(List.of());
        b.setSecurityContext(null);
        assertEquals(ContainerSpecHash.of(a), ContainerSpecHash.of(b));
    }

    @Test
    void anyFieldChangesTheHash() {
        String h = ContainerSpecHash.of(base());
        assertNotEquals(h, ContainerSpecHash.of(new ContainerBuilder(base()).withImage("nginx:1.26").build()));
        assertNotEquals(h, ContainerSpecHash.of(new ContainerBuilder(base()).withName("web2").build()));
        assertNotEquals(h, ContainerSpecHash.of(new ContainerBuilder(base()).withArgs("-g").build()));
        assertNotEquals(h, ContainerSpecHash.of(new ContainerBuilder(base())
                .withEnv(new EnvVar("B", "2", null), new EnvVar("A", "1", null)).build())); // env order matters
        assertNotEquals(h, ContainerSpecHash.of(new ContainerBuilder(base()).withWorkingDir("/w").build()));
        assertNotEquals(h, ContainerSpecHash.of(new ContainerBuilder(base()).withTty(true).build()));
        assertNotEquals(h, ContainerSpecHash.of(new ContainerBuilder(base()).withImagePullPolicy("Always").build()));
        assertNotEquals(h, ContainerSpecHash.of(new ContainerBuilder(base()).withPorts(
                new ContainerPortBuilder().withContainerPort(81).withProtocol("TCP").build()).build()));
        Container res = base();
        res.getResources().setLimits(Map.of("cpu", new Quantity("1"), "memory", new Quantity("64Mi")));
        assertNotEquals(h, ContainerSpecHash.of(res));
    }

    @Test
    void hashIsLowercaseHex() {
        assertEquals(true, ContainerSpecHash.of(base()).matches("[0-9a-f]{1,8}"));
    }
}
