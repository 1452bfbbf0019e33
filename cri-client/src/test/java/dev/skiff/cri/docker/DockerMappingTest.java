package dev.skiff.cri.docker;

import com.github.dockerjava.api.exception.BadRequestException;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.InternalServerErrorException;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.DNSConfig;
import dev.skiff.cri.v1.NamespaceMode;
import dev.skiff.cri.v1.NamespaceOption;
import dev.skiff.cri.v1.PodSandboxMetadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Pure mappings: labels ↔ metadata, Docker errors → gRPC codes, resolv.conf, times, states, OOM clamping. */
class DockerMappingTest {

    @Test
    void labelsAndAnnotationsRoundTrip() {
        Map<String, String> docker = KubeLabels.toDocker(Map.of("app", "web", "tier", "front"), Map.of("note", "hi", "x/y", "z"));
        assertEquals("hi", docker.get("annotation.note"));
        assertEquals("z", docker.get("annotation.x/y"));
        docker.put(KubeLabels.TYPE, KubeLabels.TYPE_CONTAINER);
        docker.put(KubeLabels.SANDBOX_ID, "abc");
        docker.put(KubeLabels.LOG_PATH, "/var/log/pods/x/0.log");
        docker.put(KubeLabels.SANDBOX_NAMESPACES, "network=POD,pid=POD,ipc=POD");
        assertEquals(Map.of("app", "web", "tier", "front"), KubeLabels.criLabels(docker));
        assertEquals(Map.of("note", "hi", "x/y", "z"), KubeLabels.criAnnotations(docker));
    }

    @Test
    void metadataComesFromLabelsAndName() {
        Map<String, String> labels = new HashMap<>();
        labels.put(KubeLabels.POD_NAME, "web-0");
        labels.put(KubeLabels.POD_NAMESPACE, "shop");
        labels.put(KubeLabels.POD_UID, "u1");
        PodSandboxMetadata pod = SandboxService.metadata("/k8s_POD_web-0_shop_u1_3", labels);
        assertEquals(PodSandboxMetadata.newBuilder().setName("web-0").setNamespace("shop").setUid("u1").setAttempt(3).build(), pod);
        labels.put(KubeLabels.CONTAINER_NAME, "nginx");
        var ctr = ContainerService.containerMetadata("/k8s_nginx_web-0_shop_u1_4", labels);
        assertEquals("nginx", ctr.getName());
        assertEquals(4, ctr.getAttempt());
    }

    @Test
    void labelSelectorIsAnAndOfEqualities() {
        Map<String, String> labels = Map.of("a", "1", "b", "2");
        assertTrue(KubeLabels.matches(labels, Map.of()));
        assertTrue(KubeLabels.matches(labels, Map.of("a", "1", "b", "2")));
        assertFalse(KubeLabels.matches(labels, Map.of("a", "1", "c", "3")));
        assertFalse(KubeLabels.matches(labels, Map.of("a", "2")));
    }

    @Test
    void namespaceOptionsSurviveALabel() {
        NamespaceOption ns = NamespaceOption.newBuilder().setNetwork(NamespaceMode.NODE).setPid(NamespaceMode.CONTAINER)
                .setIpc(NamespaceMode.POD).build();
        assertEquals(ns, SandboxService.parseNamespaces(SandboxService.namespacesLabel(ns)));
        NamespaceOption target = ns.toBuilder().setPid(NamespaceMode.TARGET).setTargetId("abc").build();
        assertEquals(target, SandboxService.parseNamespaces(SandboxService.namespacesLabel(target)));
        assertEquals(NamespaceOption.getDefaultInstance(), SandboxService.parseNamespaces(null));
    }

    @Test
    void dockerErrorsMapToGrpcCodesNamingTheObject() {
        StatusRuntimeException nf = DockerErrors.map(new NotFoundException("Status 404: {\"message\":\"No such container: abc\"}"),
                "inspect", "container abc");
        assertEquals(Status.Code.NOT_FOUND, nf.getStatus().getCode());
        assertTrue(nf.getStatus().getDescription().contains("container abc"), nf.getStatus().getDescription());
        assertTrue(nf.getStatus().getDescription().contains("No such container: abc"));
        assertEquals(Status.Code.ALREADY_EXISTS, DockerErrors.map(new ConflictException("in use"), "create", "container x").getStatus().getCode());
        assertEquals(Status.Code.INVALID_ARGUMENT, DockerErrors.map(new BadRequestException("bad"), "create", "container x").getStatus().getCode());
        assertEquals(Status.Code.INTERNAL, DockerErrors.map(new InternalServerErrorException("boom"), "start", "container x").getStatus().getCode());
        assertEquals(Status.Code.UNAVAILABLE, DockerErrors.map(new UncheckedIOException(new ConnectException("refused")), "ping", "Docker")
                .getStatus().getCode());
        StatusRuntimeException own = Status.DEADLINE_EXCEEDED.asRuntimeException();
        assertSame(own, DockerErrors.map(own, "x", "y"));
    }

    @Test
    void resolvConfRendersNameserversSearchAndOptions() {
        DNSConfig dns = DNSConfig.newBuilder().addServers("10.0.0.10").addServers("8.8.8.8")
                .addSearches("shop.svc.cluster.local").addSearches("svc.cluster.local")
                .addOptions("ndots:5").addOptions("timeout:1").build();
        assertEquals("nameserver 10.0.0.10\nnameserver 8.8.8.8\nsearch shop.svc.cluster.local svc.cluster.local\noptions ndots:5 timeout:1\n",
                SandboxService.resolvConf(dns));
        assertEquals("nameserver 1.1.1.1\n", SandboxService.resolvConf(DNSConfig.newBuilder().addServers("1.1.1.1").build()));
    }

    @Test
    void dockerTimesBecomeNanoseconds() {
        assertEquals(0, ContainerService.nanos("0001-01-01T00:00:00Z"));
        assertEquals(0, ContainerService.nanos(null));
        assertEquals(0, ContainerService.nanos(""));
        assertEquals(1_700_000_000_123_456_789L, ContainerService.nanos("2023-11-14T22:13:20.123456789Z"));
        assertEquals(1_700_000_000_000_000_000L, ContainerService.nanos("2023-11-14T22:13:20Z"));
    }

    @Test
    void dockerStatesMapToCriStates() {
        assertEquals(ContainerState.CONTAINER_CREATED, ContainerService.state("created"));
        assertEquals(ContainerState.CONTAINER_RUNNING, ContainerService.state("running"));
        assertEquals(ContainerState.CONTAINER_EXITED, ContainerService.state("exited"));
        assertEquals(ContainerState.CONTAINER_EXITED, ContainerService.state("dead"));
        assertEquals(ContainerState.CONTAINER_UNKNOWN, ContainerService.state("weird"));
    }

    @Test
    void oomScoreIsClampedToOurOwn() {
        OomScoreAdj oom = new OomScoreAdj(-500);
        assertEquals(-500, oom.clamp(-998));
        assertEquals(-500, oom.clamp(-500));
        assertEquals(100, oom.clamp(100));
    }
}
