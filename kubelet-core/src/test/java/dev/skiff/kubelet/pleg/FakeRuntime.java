package dev.skiff.kubelet.pleg;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.*;
import io.grpc.Status;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory runtime for PLEG unit tests: holds sandboxes and containers the test puts there, answers
 * the two list calls, and fails them while {@link #down} is set. Every other RPC is UNIMPLEMENTED, so a
 * PLEG that made per-container calls would fail its tests.
 */
final class FakeRuntime implements InvocationHandler {
    private final List<PodSandbox> sandboxes = new ArrayList<>();
    private final List<Container> containers = new ArrayList<>();
    volatile boolean down;
    final AtomicInteger otherCalls = new AtomicInteger();
    private long clock = 1_000_000_000L;

    RuntimeService service() {
        return (RuntimeService) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[]{RuntimeService.class}, this);
    }

    synchronized PodSandbox sandbox(String id, String uid, String name, String ns, PodSandboxState state) {
        PodSandbox s = PodSandbox.newBuilder().setId(id)
                .setMetadata(PodSandboxMetadata.newBuilder().setUid(uid).setName(name).setNamespace(ns))
                .setState(state).setCreatedAt(clock += 1000).build();
        put(s);
        return s;
    }

    synchronized Container container(String id, String sandboxId, String name, ContainerState state) {
        return container(id, sandboxId, name, state, Map.of());
    }

    synchronized Container container(String id, String sandboxId, String name, ContainerState state, Map<String, String> labels) {
        Container c = Container.newBuilder().setId(id).setPodSandboxId(sandboxId)
                .setMetadata(ContainerMetadata.newBuilder().setName(name))
                .setState(state).setCreatedAt(clock += 1000).putAllLabels(labels).build();
        put(c);
        return c;
    }

    synchronized void setState(String id, ContainerState state) {
        for (int i = 0; i < containers.size(); i++) {
            if (containers.get(i).getId().equals(id)) {
                containers.set(i, containers.get(i).toBuilder().setState(state).build());
                return;
            }
        }
        throw new IllegalArgumentException("no container " + id);
    }

    synchronized void setSandboxState(String id, PodSandboxState state) {
        for (int i = 0; i < sandboxes.size(); i++) {
            if (sandboxes.get(i).getId().equals(id)) {
                sandboxes.set(i, sandboxes.get(i).toBuilder().setState(state).build());
                return;
            }
        }
        throw new IllegalArgumentException("no sandbox " + id);
    }

    synchronized void remove(String id) {
        sandboxes.removeIf(s -> s.getId().equals(id));
        containers.removeIf(c -> c.getId().equals(id));
    }

    private void put(PodSandbox s) {
        sandboxes.removeIf(x -> x.getId().equals(s.getId()));
        sandboxes.add(s);
    }

    private void put(Container c) {
        containers.removeIf(x -> x.getId().equals(c.getId()));
        containers.add(c);
    }

    @Override
    public synchronized Object invoke(Object proxy, Method method, Object[] args) throws InvocationTargetException {
        switch (method.getName()) {
            case "listPodSandbox" -> {
                failIfDown();
                return ListPodSandboxResponse.newBuilder().addAllItems(sandboxes).build();
            }
            case "listContainers" -> {
                failIfDown();
                return ListContainersResponse.newBuilder().addAllContainers(containers).build();
            }
            case "toString" -> {
                return "FakeRuntime";
            }
            case "hashCode" -> {
                return System.identityHashCode(this);
            }
            case "equals" -> {
                return proxy == args[0];
            }
            default -> {
                otherCalls.incrementAndGet();
                throw Status.UNIMPLEMENTED.withDescription(method.getName()).asRuntimeException();
            }
        }
    }

    private void failIfDown() {
        if (down) {
            throw Status.UNAVAILABLE.withDescription("runtime is down").asRuntimeException();
        }
    }
}
