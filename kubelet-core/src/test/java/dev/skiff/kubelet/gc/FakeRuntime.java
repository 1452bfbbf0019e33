package dev.skiff.kubelet.gc;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.ContainerMetadata;
import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.ContainerStatus;
import dev.skiff.cri.v1.ContainerStatusRequest;
import dev.skiff.cri.v1.ContainerStatusResponse;
import dev.skiff.cri.v1.ImageSpec;
import dev.skiff.cri.v1.ListContainersResponse;
import dev.skiff.cri.v1.ListPodSandboxResponse;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.PodSandboxMetadata;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.cri.v1.RemoveContainerRequest;
import dev.skiff.cri.v1.RemoveContainerResponse;
import dev.skiff.cri.v1.RemovePodSandboxRequest;
import dev.skiff.cri.v1.RemovePodSandboxResponse;
import io.grpc.Status;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An in-memory CRI runtime for the GC's policy: list, status and remove calls over plain lists; every other RPC is
 * UNIMPLEMENTED, so nothing under test reaches a real runtime.
 */
final class FakeRuntime {
    final List<PodSandbox> sandboxes = new ArrayList<>();
    final List<Container> containers = new ArrayList<>();
    final List<String> removedContainers = new ArrayList<>();
    final List<String> removedSandboxes = new ArrayList<>();
    final Map<String, String> logPaths = new HashMap<>();
    private long created = 1_000;

    RuntimeService service() {
        return (RuntimeService) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {RuntimeService.class},
                (proxy, method, args) -> {
                    synchronized (this) {
                        return switch (method.getName()) {
                            case "listPodSandbox" -> ListPodSandboxResponse.newBuilder().addAllItems(sandboxes).build();
                            case "listContainers" -> ListContainersResponse.newBuilder().addAllContainers(containers).build();
                            case "containerStatus" -> status(((ContainerStatusRequest) args[0]).getContainerId());
                            case "removeContainer" -> {
                                String id = ((RemoveContainerRequest) args[0]).getContainerId();
                                containers.removeIf(c -> c.getId().equals(id));
                                removedContainers.add(id);
                                yield RemoveContainerResponse.getDefaultInstance();
                            }
                            case "removePodSandbox" -> {
                                String id = ((RemovePodSandboxRequest) args[0]).getPodSandboxId();
                                sandboxes.removeIf(s -> s.getId().equals(id));
                                removedSandboxes.add(id);
                                yield RemovePodSandboxResponse.getDefaultInstance();
                            }
                            case "toString" -> "FakeRuntime";
                            case "hashCode" -> System.identityHashCode(proxy);
                            case "equals" -> proxy == args[0];
                            default -> throw Status.UNIMPLEMENTED.withDescription(method.getName()).asRuntimeException();
                        };
                    }
                });
    }

    private ContainerStatusResponse status(String id) {
        Container c = containers.stream().filter(x -> x.getId().equals(id)).findFirst()
                .orElseThrow(() -> Status.NOT_FOUND.withDescription(id).asRuntimeException());
        return ContainerStatusResponse.newBuilder().setStatus(ContainerStatus.newBuilder().setId(id)
                .setState(c.getState()).setLogPath(logPaths.getOrDefault(id, ""))).build();
    }

    synchronized PodSandbox sandbox(String id, String uid, PodSandboxState state) {
        PodSandbox s = PodSandbox.newBuilder().setId(id)
                .setMetadata(PodSandboxMetadata.newBuilder().setUid(uid).setName("pod-" + uid).setNamespace("default"))
                .setState(state).setCreatedAt(created += 1000).build();
        sandboxes.add(s);
        return s;
    }

    synchronized Container container(String id, String sandboxId, String uid, String name, ContainerState state) {
        return container(id, sandboxId, uid, name, state, "skiff-test/busybox:1", "sha256:busybox");
    }

    synchronized Container container(String id, String sandboxId, String uid, String name, ContainerState state,
                                     String image, String imageRef) {
        Container.Builder b = Container.newBuilder().setId(id).setPodSandboxId(sandboxId)
                .setMetadata(ContainerMetadata.newBuilder().setName(name))
                .setImage(ImageSpec.newBuilder().setImage(image)).setImageRef(imageRef)
                .setState(state).setCreatedAt(created += 1000)
                .putLabels("io.kubernetes.container.name", name);
        if (uid != null) {
            b.putLabels("io.kubernetes.pod.uid", uid).putLabels("io.kubernetes.pod.name", "pod-" + uid)
                    .putLabels("io.kubernetes.pod.namespace", "default");
        }
        Container c = b.build();
        containers.add(c);
        return c;
    }
}
