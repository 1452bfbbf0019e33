package dev.skiff.cri.docker;

import dev.skiff.cri.v1.PodSandboxConfig;
import dev.skiff.cri.v1.PortMapping;
import dev.skiff.cri.v1.Protocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Host ports, the pod IP, sysctls and the cgroup parent of a sandbox, checked from the host and from inside. */
@Timeout(120)
class PodNetworkIT {
    private static final String SERVE = "mkdir -p /tmp/www && echo hello-skiff > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www";
    @TempDir
    Path logs;
    private PodFixture pods;
    private String cgroupParent;

    @BeforeEach
    void setUp() {
        pods = new PodFixture("skiff-net-it", logs);
    }

    @AfterEach
    void tearDown() {
        pods.close();
        if (cgroupParent != null) {
            removeEmptyCgroups(cgroupParent);
        }
    }

    @Test
    void hostPortAndPodIpReachTheContainer() throws Exception {
        int hostPort = freePort();
        PodSandboxConfig sandbox = pods.sandbox()
                .addPortMappings(PortMapping.newBuilder().setProtocol(Protocol.TCP).setContainerPort(8080).setHostPort(hostPort))
                .addPortMappings(PortMapping.newBuilder().setProtocol(Protocol.TCP).setContainerPort(9090)) // no host port
                .build();
        String sandboxId = pods.run(sandbox);
        pods.start(sandboxId, sandbox, pods.container(sandbox, "web", SERVE).build());

        assertEquals("hello-skiff\n", get("http://127.0.0.1:" + hostPort + "/index.html"), "the host port reaches the pod");
        String ip = pods.sandboxStatus(sandboxId).getNetwork().getIp();
        assertEquals("hello-skiff\n", get("http://" + ip + ":8080/index.html"), "the pod IP reaches the pod");
        var bindings = pods.docker.inspectContainerCmd(sandboxId).exec().getHostConfig().getPortBindings().getBindings();
        assertEquals(1, bindings.values().stream().filter(b -> b != null && b.length > 0).count(),
                "only the mapping with a host port is published: " + bindings);
    }

    @Test
    void sysctlsApplyToThePod() {
        PodSandboxConfig.Builder b = pods.sandbox();
        b.getLinuxBuilder().putSysctls("net.ipv4.ip_local_port_range", "40000 50000").putSysctls("net.ipv4.ping_group_range", "0 0");
        PodSandboxConfig sandbox = b.build();
        String sandboxId = pods.run(sandbox);
        String id = pods.start(sandboxId, sandbox, pods.container(sandbox, "app", "exec sleep 1000").build());
        assertEquals("40000 50000", pods.sh(id, "cat /proc/sys/net/ipv4/ip_local_port_range").trim().replaceAll("\\s+", " "));
        assertEquals("0 0", pods.sh(id, "cat /proc/sys/net/ipv4/ping_group_range").trim().replaceAll("\\s+", " "));
    }

    @Test
    void cgroupParentHoldsTheSandboxAndItsContainers() {
        cgroupParent = "/" + pods.namespace;
        PodSandboxConfig.Builder b = pods.sandbox();
        b.getLinuxBuilder().setCgroupParent(cgroupParent);
        PodSandboxConfig sandbox = b.build();
        String sandboxId = pods.run(sandbox);
        String id = pods.start(sandboxId, sandbox, pods.container(sandbox, "app", "exec sleep 1000").build());
        assertEquals(cgroupParent, pods.docker.inspectContainerCmd(sandboxId).exec().getHostConfig().getCgroupParent());
        assertEquals(cgroupParent, pods.docker.inspectContainerCmd(id).exec().getHostConfig().getCgroupParent());
        int pid = pods.docker.inspectContainerCmd(id).exec().getState().getPidLong().intValue();
        String membership = read(Path.of("/proc/" + pid + "/cgroup"));
        assertTrue(membership.contains(cgroupParent + "/" + id), "the container's process is under the pod's cgroup:\n" + membership);
    }

    private static String get(String url) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        AtomicReference<String> body = new AtomicReference<>();
        AtomicReference<Exception> last = new AtomicReference<>();
        PodFixture.await("GET " + url + " answers (last failure: " + last + ")", () -> {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    body.set(r.body());
                    return true;
                }
            } catch (IOException e) {
                last.set(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return false;
        }, Duration.ofSeconds(60));
        return body.get();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Docker leaves the (empty) parent cgroups it created; remove them, deepest first. */
    private static void removeEmptyCgroups(String parent) {
        try (Stream<Path> controllers = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path controller : controllers.toList()) {
                Path dir = controller.resolve(parent.substring(1));
                if (!Files.isDirectory(dir)) {
                    continue;
                }
                try (Stream<Path> walk = Files.walk(dir)) {
                    walk.filter(Files::isDirectory).sorted((x, y) -> y.getNameCount() - x.getNameCount()).forEach(d -> {
                        try {
                            Files.delete(d);
                        } catch (IOException ignored) {
                            // cgroup files vanish with their directory; a busy cgroup stays
                        }
                    });
                }
            }
        } catch (IOException ignored) {
            // best effort
        }
    }
}
