package dev.skiff.kubelet.status;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.ContainerMetadata;
import dev.skiff.cri.v1.ContainerStatusRequest;
import dev.skiff.cri.v1.ContainerStatusResponse;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.cri.v1.PodSandboxStatusRequest;
import dev.skiff.cri.v1.PodSandboxStatusResponse;
import dev.skiff.kubelet.pleg.RuntimePod;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;

import static dev.skiff.kubelet.status.CriFixtures.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CriPodViewLoaderTest {
    private static RuntimeService fake(Map<String, dev.skiff.cri.v1.ContainerStatus> containers, Status failure) {
        return (RuntimeService) Proxy.newProxyInstance(CriPodViewLoaderTest.class.getClassLoader(),
                new Class<?>[]{RuntimeService.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "podSandboxStatus" -> PodSandboxStatusResponse.newBuilder().setStatus(
                            CriFixtures.sandbox("172.17.0.9", PodSandboxState.SANDBOX_READY).toBuilder()
                                    .setId(((PodSandboxStatusRequest) args[0]).getPodSandboxId())).build();
                    case "containerStatus" -> {
                        String id = ((ContainerStatusRequest) args[0]).getContainerId();
                        var s = containers.get(id);
                        if (s == null) {
                            throw failure.withDescription("no container " + id).asRuntimeException();
                        }
                        yield ContainerStatusResponse.newBuilder().setStatus(s).build();
                    }
                    default -> throw Status.UNIMPLEMENTED.asRuntimeException();
                });
    }

    private static Container listed(String id, String name) {
        return Container.newBuilder().setId(id).setMetadata(ContainerMetadata.newBuilder().setName(name)).build();
    }

    private static RuntimePod runtimePod() {
        return new RuntimePod("uid-1", "web-node-a", "default",
                List.of(PodSandbox.newBuilder().setId("sb2").build(), PodSandbox.newBuilder().setId("sb1").build()),
                List.of(listed("c2", "app"), listed("gone", "app"), listed("c1", "app")));
    }

    @Test
    void loadsTheNewestSandboxAndEveryContainerStillThere() {
        var statuses = Map.of("c1", CriFixtures.exited("c1", "app", 0, T0, 1, "Error"),
                "c2", CriFixtures.running("c2", "app", 1, T0.plusSeconds(20)));
        CriPodView v = new CriPodViewLoader(fake(statuses, Status.NOT_FOUND)).load(runtimePod());
        assertEquals("sb2", v.sandbox().orElseThrow().getId());
        assertEquals(List.of("172.17.0.9"), v.podIPs());
        assertEquals(List.of("c2", "c1"), v.statuses("app").stream().map(dev.skiff.cri.v1.ContainerStatus::getId).toList());
    }

    @Test
    void otherRuntimeErrorsPropagate() {
        var loader = new CriPodViewLoader(fake(Map.of(), Status.UNAVAILABLE));
        assertThrows(io.grpc.StatusRuntimeException.class, () -> loader.load(runtimePod()));
    }
}
