package dev.skiff.kubelet.it;

import dev.skiff.cri.testing.TestDocker;
import dev.skiff.cri.testing.TestImages;
import dev.skiff.kubelet.Kubelet;
import dev.skiff.kubelet.apiserver.ApiServerMock;
import dev.skiff.kubelet.config.HostFacts;
import dev.skiff.kubelet.config.KubeletConfigurationLoader;
import dev.skiff.kubelet.config.KubeletFlags;
import dev.skiff.kubelet.config.KubeletSettings;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real Skiff (in this JVM) on the real Docker joins the mock API server with {@code --kubeconfig}: its Node carries
 * what the runtime and the host say, becomes Ready, and its Lease is renewed; the node never asks for what
 * NodeRestriction refuses.
 */
class ApiServerNodeIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    private SkiffKubelet dirs;
    private ApiServerMock api;
    private KubernetesClient admin;
    private Kubelet kubelet;

    @BeforeEach
    void start() throws Exception {
        TestImages.busybox(TestDocker.client()); // at least one image for the Node's list
        dirs = new SkiffKubelet(); // directories and node name only; its process is never started
        api = new ApiServerMock(dirs.nodeName());
        admin = api.adminClient();
        Path kubeconfig = api.writeKubeconfig(dirs.rootDir().resolveSibling("kubeconfig"));
        KubeletFlags flags = new KubeletFlags();
        new CommandLine(flags).parseArgs("--config", dirs.rootDir().resolveSibling("kubelet-config.yaml").toString(),
                "--pod-manifest-path", dirs.manifestDir().toString(), "--root-dir", dirs.rootDir().toString(),
                "--hostname-override", dirs.nodeName(), "--read-only-port", "0", "--healthz-port", "0",
                "--port", Integer.toString(freePort()), "--embedded-dns=false", "--kubeconfig", kubeconfig.toString(),
                "--node-labels", "skiff.example/it=apiserver", "--register-with-taints", "skiff.example/it=x:NoSchedule");
        KubeletSettings settings = KubeletSettings.load(flags, HostFacts.current(), new KubeletConfigurationLoader());
        kubelet = new Kubelet(settings, status -> { });
        kubelet.start();
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (kubelet != null) {
                kubelet.close();
            }
        } finally {
            if (admin != null) {
                admin.close();
            }
            if (api != null) {
                api.close();
            }
            if (dirs != null) {
                dirs.close();
            }
        }
    }

    @Test
    void theNodeRegistersBecomesReadyAndRenewsItsLease() throws Exception {
        String name = dirs.nodeName();
        Node node = await("node " + name + " Ready", () -> {
            Node n = admin.nodes().withName(name).get();
            return n != null && ready(n) ? n : null;
        });
        assertEquals(name, node.getMetadata().getLabels().get("kubernetes.io/hostname"));
        assertEquals("linux", node.getMetadata().getLabels().get("kubernetes.io/os"));
        assertEquals("apiserver", node.getMetadata().getLabels().get("skiff.example/it"));
        assertEquals("skiff.example/it", node.getSpec().getTaints().get(0).getKey());
        String runtime = node.getStatus().getNodeInfo().getContainerRuntimeVersion();
        assertTrue(runtime.matches("docker://\\d+\\.\\d+\\.\\d+.*"), runtime);
        assertTrue(node.getStatus().getNodeInfo().getKubeletVersion().startsWith("v1."), node.getStatus().getNodeInfo()
                .getKubeletVersion());
        assertFalse(node.getStatus().getNodeInfo().getBootID().isEmpty());
        assertFalse(node.getStatus().getNodeInfo().getKernelVersion().isEmpty());
        assertTrue(Integer.parseInt(node.getStatus().getCapacity().get("cpu").getAmount()) >= 1);
        assertEquals("110", node.getStatus().getCapacity().get("pods").getAmount());
        assertTrue(node.getStatus().getAddresses().stream().anyMatch(a -> a.getType().equals("InternalIP")));
        assertEquals(kubelet.secureAddress().orElseThrow().getPort(),
                node.getStatus().getDaemonEndpoints().getKubeletEndpoint().getPort());
        // the largest 50 of the shared Docker's images, named, with sizes
        assertFalse(node.getStatus().getImages().isEmpty());
        assertTrue(node.getStatus().getImages().size() <= 50);
        assertTrue(node.getStatus().getImages().stream().allMatch(i -> !i.getNames().isEmpty() && i.getSizeBytes() > 0));

        Lease first = await("lease of " + name, () -> admin.leases().inNamespace("kube-node-lease").withName(name).get());
        assertEquals(name, first.getSpec().getHolderIdentity());
        assertEquals(node.getMetadata().getUid(), first.getMetadata().getOwnerReferences().get(0).getUid());
        ZonedDateTime firstRenew = first.getSpec().getRenewTime();
        Lease renewed = await("a renewal after " + firstRenew, () -> {
            Lease l = admin.leases().inNamespace("kube-node-lease").withName(name).get();
            return l.getSpec().getRenewTime().isAfter(firstRenew) ? l : null;
        });
        long seconds = Duration.between(firstRenew, renewed.getSpec().getRenewTime()).toSeconds();
        assertTrue(seconds >= 9, "renewed every 10 s, not more often: " + seconds + " s");
        assertEquals(List.of(), api.refused(), "the node asked for nothing NodeRestriction refuses");
    }

    private static boolean ready(Node n) {
        List<NodeCondition> c = n.getStatus() == null ? null : n.getStatus().getConditions();
        return c != null && c.stream().anyMatch(x -> x.getType().equals("Ready") && x.getStatus().equals("True"));
    }

    private static <T> T await(String what, Supplier<T> probe) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            T t = probe.get();
            if (t != null) {
                return t;
            }
            Thread.sleep(500);
        }
        fail("timed out after " + TIMEOUT.toSeconds() + " s waiting for " + what);
        return null;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
