package dev.skiff.kubelet.apiserver;

import dev.skiff.kubelet.config.NodeTaint;
import dev.skiff.kubelet.stats.Summary;
import io.fabric8.kubernetes.api.model.ContainerImage;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Registration, take-over, the Lease and node status against the mock API server with NodeRestriction. */
class NodeRegistrationTest {
    private static final String NODE = "node-a";

    private ApiServerMock api;
    private KubernetesClient admin;
    private KubernetesClient client;
    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-07T10:00:00Z"));
    private final AtomicReference<Optional<String>> notReady = new AtomicReference<>(Optional.empty());
    private final AtomicReference<List<ContainerImage>> images = new AtomicReference<>(List.of());
    private final NodeHealth health = new NodeHealth(notReady::get, Optional::empty, images::get);

    @BeforeEach
    void start() throws Exception {
        api = new ApiServerMock(NODE);
        admin = api.adminClient();
        client = api.nodeClient();
    }

    @AfterEach
    void stop() {
        client.close();
        admin.close();
        api.close();
    }

    static NodeDescription description() {
        return new NodeDescription(NODE, Map.of("kubernetes.io/hostname", NODE, "kubernetes.io/os", "linux",
                "kubernetes.io/arch", "amd64", "beta.kubernetes.io/os", "linux", "beta.kubernetes.io/arch", "amd64",
                "disk", "ssd"), List.of(new NodeTaint("dedicated", "gpu", "NoSchedule")), NODE, List.of("10.1.2.3"),
                2, 4L * 1024 * 1024 * 1024, 100L * 1000 * 1000 * 1000, 110, "linux", "amd64", "v1.32.0+skiff.dev",
                "docker://20.10.24", new HostIds("6.1.0-28-amd64", "Debian GNU/Linux 12 (bookworm)", "mid", "bid", "uuid"),
                10250);
    }

    @Test
    void registersTheNodeWithItsLabelsTaintsCapacityAndInfo() {
        Node n = new NodeRegistrar(client, description()).register().orElseThrow();
        assertNotNull(n.getMetadata().getUid());
        Node stored = admin.nodes().withName(NODE).get();
        assertEquals("ssd", stored.getMetadata().getLabels().get("disk"));
        assertEquals(NODE, stored.getMetadata().getLabels().get("kubernetes.io/hostname"));
        assertEquals("amd64", stored.getMetadata().getLabels().get("beta.kubernetes.io/arch"));
        assertEquals("dedicated", stored.getSpec().getTaints().get(0).getKey());
        assertEquals("NoSchedule", stored.getSpec().getTaints().get(0).getEffect());
        Map<String, Quantity> cap = stored.getStatus().getCapacity();
        assertEquals(new Quantity("2"), cap.get("cpu"));
        assertEquals(new Quantity("4194304Ki"), cap.get("memory"));
        assertEquals(new Quantity("110"), cap.get("pods"));
        // allocatable: capacity minus evictionHard's memory.available 100Mi and nodefs.available 10 %
        assertEquals(new Quantity("4091904Ki"), stored.getStatus().getAllocatable().get("memory"));
        assertEquals(new Quantity("90000000000"), stored.getStatus().getAllocatable().get("ephemeral-storage"));
        assertEquals("docker://20.10.24", stored.getStatus().getNodeInfo().getContainerRuntimeVersion());
        assertEquals("bid", stored.getStatus().getNodeInfo().getBootID());
        assertEquals(10250, stored.getStatus().getDaemonEndpoints().getKubeletEndpoint().getPort());
        assertEquals("10.1.2.3", stored.getStatus().getAddresses().get(0).getAddress());
        assertEquals("InternalIP", stored.getStatus().getAddresses().get(0).getType());
        assertEquals(List.of(), api.refused());
    }

    @Test
    void anExistingNodeIsTakenOverAndItsDefaultLabelsReconciled() {
        admin.nodes().resource(new NodeBuilder().withNewMetadata().withName(NODE)
                .addToLabels("kubernetes.io/hostname", "old-name").addToLabels("team", "a").endMetadata().build()).create();
        String uid = admin.nodes().withName(NODE).get().getMetadata().getUid();
        Node n = new NodeRegistrar(client, description()).register().orElseThrow();
        assertEquals(uid, n.getMetadata().getUid());
        Node stored = admin.nodes().withName(NODE).get();
        assertEquals(NODE, stored.getMetadata().getLabels().get("kubernetes.io/hostname"));
        assertEquals("linux", stored.getMetadata().getLabels().get("kubernetes.io/os"));
        assertEquals("a", stored.getMetadata().getLabels().get("team"), "labels others set are kept");
        assertEquals("true", stored.getMetadata().getAnnotations().get(NodeRegistrar.CONTROLLER_MANAGED_ATTACH_DETACH));
        assertEquals(List.of(), api.refused());
    }

    @Test
    void anotherNodesObjectIsRefusedByTheMockAsByNodeRestriction() {
        NodeDescription other = new NodeDescription("node-b", Map.of(), List.of(), "node-b", List.of(), 1, 1024, 1024,
                1, "linux", "amd64", "v", "docker://x", new HostIds("", "", "", "", ""), 1);
        assertTrue(new NodeRegistrar(client, other).register().isEmpty());
        assertEquals(List.of("POST /api/v1/nodes"), api.refused());
    }

    @Test
    void theLeaseIsCreatedOwnedByTheNodeAndRenewedWithItsResourceVersion() {
        Node n = new NodeRegistrar(client, description()).register().orElseThrow();
        LeaseHeartbeat lease = new LeaseHeartbeat(client, NODE, clock);
        lease.setNode(n);
        lease.renew();
        Lease first = admin.leases().inNamespace("kube-node-lease").withName(NODE).get();
        assertEquals(NODE, first.getSpec().getHolderIdentity());
        assertEquals(40, first.getSpec().getLeaseDurationSeconds());
        assertEquals(n.getMetadata().getUid(), first.getMetadata().getOwnerReferences().get(0).getUid());
        clock.advance(Duration.ofSeconds(10));
        lease.renew();
        Lease second = admin.leases().inNamespace("kube-node-lease").withName(NODE).get();
        assertEquals(first.getSpec().getRenewTime().plusSeconds(10).toInstant(), second.getSpec().getRenewTime().toInstant());
        assertNotEquals(first.getMetadata().getResourceVersion(), second.getMetadata().getResourceVersion());

        // someone else wrote the Lease in between: the renewal reads it again and still lands
        admin.leases().inNamespace("kube-node-lease").withName(NODE).edit(l -> {
            l.getMetadata().getLabels();
            l.getSpec().setLeaseTransitions(7);
            return l;
        });
        clock.advance(Duration.ofSeconds(10));
        lease.renew();
        Lease third = admin.leases().inNamespace("kube-node-lease").withName(NODE).get();
        assertEquals(second.getSpec().getRenewTime().plusSeconds(10).toInstant(), third.getSpec().getRenewTime().toInstant());
        assertEquals(7, third.getSpec().getLeaseTransitions());

        // deleted (e.g. by an admin): created again
        admin.leases().inNamespace("kube-node-lease").withName(NODE).delete();
        clock.advance(Duration.ofSeconds(10));
        lease.renew();
        assertNotNull(admin.leases().inNamespace("kube-node-lease").withName(NODE).get());
        assertEquals(List.of(), api.refused());
    }

    @Test
    void nodeStatusIsPatchedWhenItChangesOrEveryFiveMinutesOnly() {
        new NodeRegistrar(client, description()).register().orElseThrow();
        NodeStatusUpdater status = new NodeStatusUpdater(client, description(), health, clock);
        assertTrue(status.update());
        List<NodeCondition> conditions = admin.nodes().withName(NODE).get().getStatus().getConditions();
        assertEquals(List.of("MemoryPressure", "DiskPressure", "PIDPressure", "Ready"),
                conditions.stream().map(NodeCondition::getType).toList());
        NodeCondition ready = conditions.get(3);
        assertEquals("True", ready.getStatus());
        assertEquals("KubeletReady", ready.getReason());
        assertEquals("KubeletHasSufficientMemory", conditions.get(0).getReason());

        clock.advance(Duration.ofSeconds(10));
        assertFalse(status.update(), "nothing changed: no PATCH");
        clock.advance(Duration.ofSeconds(10));
        notReady.set(Optional.of("container runtime is down: connection refused"));
        assertTrue(status.update());
        NodeCondition notReadyNow = admin.nodes().withName(NODE).get().getStatus().getConditions().get(3);
        assertEquals("False", notReadyNow.getStatus());
        assertEquals("KubeletNotReady", notReadyNow.getReason());
        assertEquals("container runtime is down: connection refused", notReadyNow.getMessage());
        assertEquals("2026-12-07T10:00:20Z", notReadyNow.getLastTransitionTime());

        clock.advance(Duration.ofSeconds(10));
        images.set(List.of(new ContainerImage(List.of("skiff-test/busybox:1"), 1_000_000L)));
        assertTrue(status.update(), "a new image is a change");
        assertEquals("skiff-test/busybox:1", admin.nodes().withName(NODE).get().getStatus().getImages().get(0)
                .getNames().get(0));
        assertEquals("2026-12-07T10:00:20Z", admin.nodes().withName(NODE).get().getStatus().getConditions().get(3)
                .getLastTransitionTime(), "no transition: the time stays");

        clock.advance(Duration.ofMinutes(4));
        assertFalse(status.update());
        clock.advance(Duration.ofMinutes(1));
        assertTrue(status.update(), "five minutes since the last report");
        assertEquals(List.of(), api.refused());
    }

    @Test
    void pressureConditionsFollowTheDefaultEvictionThresholds() {
        Summary.NodeStats low = new Summary.NodeStats(NODE, List.of(), null, null,
                new Summary.MemoryStats(null, 50L * 1024 * 1024, null, null, null, null, null), null,
                new Summary.FsStats(null, 5L, 100L, 95L, 100L, 100L, 0L), null, null);
        List<NodeCondition> c = NodeConditions.compute(Optional.empty(), Optional.of(low), List.of(), clock.instant());
        assertEquals("True", c.get(0).getStatus());
        assertEquals("KubeletHasInsufficientMemory", c.get(0).getReason());
        assertEquals("True", c.get(1).getStatus());
        assertEquals("KubeletHasDiskPressure", c.get(1).getReason());
        assertEquals("False", c.get(2).getStatus());
    }

    /** A clock the test moves. */
    static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant start) {
            this.now = start;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
