package dev.skiff.cli;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PortMappingTest {
    private static final Pod POD = new PodBuilder().withNewMetadata().withName("web").endMetadata().withNewSpec()
            .addNewContainer().withName("app").addNewPort().withName("http").withContainerPort(8080).endPort().endContainer()
            .endSpec().build();

    @Test
    void kubectlsForms() {
        assertEquals(new PortMapping(8080, 80), PortMapping.parse("8080:80", POD));
        assertEquals(new PortMapping(80, 80), PortMapping.parse("80", POD));
        assertEquals(new PortMapping(0, 80), PortMapping.parse(":80", POD));
        assertEquals(new PortMapping(9000, 8080), PortMapping.parse("9000:http", POD));
    }

    @Test
    void badMappingsSayWhy() {
        assertEquals("invalid port mapping \"8080:\": want [LOCAL:]REMOTE, e.g. 8080:80",
                assertThrows(IllegalArgumentException.class, () -> PortMapping.parse("8080:", POD)).getMessage());
        assertEquals("invalid port mapping \"1:2:3\": want [LOCAL:]REMOTE, e.g. 8080:80",
                assertThrows(IllegalArgumentException.class, () -> PortMapping.parse("1:2:3", POD)).getMessage());
        assertEquals("invalid port mapping \"70000:80\": local port 70000 is not a port number (1-65535)",
                assertThrows(IllegalArgumentException.class, () -> PortMapping.parse("70000:80", POD)).getMessage());
        assertEquals("invalid port mapping \"0\": remote port 0 is not a port number (1-65535)",
                assertThrows(IllegalArgumentException.class, () -> PortMapping.parse("0", POD)).getMessage());
        assertEquals("invalid port mapping \"8080:grpc\": pod web has no container port named grpc",
                assertThrows(IllegalArgumentException.class, () -> PortMapping.parse("8080:grpc", POD)).getMessage());
    }
}
