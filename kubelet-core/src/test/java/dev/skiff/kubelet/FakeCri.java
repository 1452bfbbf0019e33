package dev.skiff.kubelet;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.ContainerMetadata;
import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.ListContainersResponse;
import dev.skiff.cri.v1.ListPodSandboxResponse;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.PodSandboxMetadata;
import dev.skiff.cri.v1.PodSandboxState;
import io.grpc.Status;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An in-memory runtime answering only the two list calls a real GenericPleg makes (as pleg's FakeRuntime, which
 * is package-private there); every other RPC is UNIMPLEMENTED, so nothing under test can reach a real runtime.
 */
final class FakeCri {
    private final List<PodSandbox> sandboxes = new ArrayList<>();
    private final List<Container> containers = new ArrayList<>();
    private long clock = 1_000_000_000L;

    RuntimeService service() {
        return (RuntimeService) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[]{RuntimeService.class},
                (proxy, method, args) -> {
                    synchronized (this) {
                        return switch (method.getName()) {
                            case "listPodSandbox" -> ListPodSandboxResponse.newBuilder().addAllItems(sandboxes).build();
                            case "listContainers" -> ListContainersResponse.newBuilder().addAllContainers(containers).build();
                            case "toString" -> "FakeCri";
                            case "hashCode" -> System.identityHashCode(proxy);
                            case "equals" -> proxy == args[0];
                            default -> throw Status.UNIMPLEMENTED.withDescription(method.getName()).asRuntimeException();
                        };
                    }
                });
    }

    synchronized PodSandbox sandbox(String id, String uid, String name, String ns) {
        PodSandbox s = PodSandbox.newBuilder().setId(id)
                .setMetadata(PodSandboxMetadata.newBuilder().setUid(uid).setName(name).setNamespace(ns))
                .setState(PodSandboxState.SANDBOX_READY).setCreatedAt(clock += 1000).build();
        sandboxes.add(s);
        return s;
    }

    synchronized Container container(String id, String sandboxId, String name, Map<String, String> annotations) {
        Container c = Container.newBuilder().setId(id).setPodSandboxId(sandboxId)
                .setMetadata(ContainerMetadata.newBuilder().setName(name))
                .setState(ContainerState.CONTAINER_RUNNING).setCreatedAt(clock += 1000)
                .putLabels("io.kubernetes.container.name", name).putAllAnnotations(annotations).build();
        containers.add(c);
        return c;
    }
}
