package dev.skiff.kubelet.kuberuntime.manager;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.ContainerMetadata;
import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.ExecSyncRequest;
import dev.skiff.cri.v1.ExecSyncResponse;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.cri.v1.StopContainerRequest;
import dev.skiff.cri.v1.StopContainerResponse;
import dev.skiff.cri.v1.StopPodSandboxResponse;
import dev.skiff.kubelet.events.EventRecorder;
import dev.skiff.kubelet.kuberuntime.KubeAnnotations;
import dev.skiff.kubelet.lifecycle.HookRunner;
import dev.skiff.kubelet.pleg.RuntimePod;
import dev.skiff.kubelet.prober.probe.HttpProbe;
import dev.skiff.kubelet.prober.probe.ProbeNetwork;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.grpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kill path's order and timing rules against a runtime whose StopContainer and ExecSync the test controls. */
class PodKillerTest {
    /** id → released when the test lets that container's StopContainer return. */
    private final Map<String, CompletableFuture<Void>> stopGates = new ConcurrentHashMap<>();
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Void> execGate = new CompletableFuture<>();
    private volatile int execExit;
    private final ProbeNetwork net = new ProbeNetwork(Executors.newSingleThreadExecutor());
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final PodKiller killer;

    PodKillerTest() {
        RuntimeService runtime = (RuntimeService) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[]{RuntimeService.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "stopContainer" -> {
                        StopContainerRequest r = (StopContainerRequest) args[0];
                        calls.add("stop " + r.getContainerId() + " " + r.getTimeout());
                        CompletableFuture<Void> gate = stopGates.get(r.getContainerId());
                        if (gate != null) {
                            gate.get(20, TimeUnit.SECONDS);
                        }
                        calls.add("stopped " + r.getContainerId());
                        yield StopContainerResponse.getDefaultInstance();
                    }
                    case "execSync" -> {
                        ExecSyncRequest r = (ExecSyncRequest) args[0];
                        calls.add("exec " + r.getContainerId() + " " + String.join(" ", r.getCmdList()));
                        execGate.get(20, TimeUnit.SECONDS);
                        calls.add("exec done " + r.getContainerId());
                        yield ExecSyncResponse.newBuilder().setExitCode(execExit).build();
                    }
                    case "stopPodSandbox" -> {
                        calls.add("stop sandbox");
                        yield StopPodSandboxResponse.getDefaultInstance();
                    }
                    default -> throw Status.UNIMPLEMENTED.asRuntimeException();
                });
        EventRecorder recorder = (target, type, reason, message) -> events.add(reason + " " + target.fieldPath()
                + ": " + message);
        HookRunner hooks = new HookRunner(runtime, Executors.newCachedThreadPool(), new HttpProbe(net, "test"), timer,
                recorder);
        killer = new PodKiller(runtime, hooks, timer, recorder, uid -> Optional.empty());
    }

    @AfterEach
    void close() {
        execGate.complete(null);
        stopGates.values().forEach(g -> g.complete(null));
        killer.close();
        timer.shutdownNow();
        net.close();
    }

    private static Pod pod(List<io.fabric8.kubernetes.api.model.Container> apps,
                           List<io.fabric8.kubernetes.api.model.Container> inits) {
        return new PodBuilder().withNewMetadata().withName("web").withNamespace("ns").withUid("u1").endMetadata()
                .withNewSpec().withContainers(apps).withInitContainers(inits).withTerminationGracePeriodSeconds(30L)
                .endSpec().build();
    }

    private static io.fabric8.kubernetes.api.model.Container spec(String name, boolean preStop) {
        ContainerBuilder b = new ContainerBuilder().withName(name);
        if (preStop) {
            b.withNewLifecycle().withNewPreStop().withNewExec().withCommand("sh", "-c", "drain").endExec().endPreStop()
                    .endLifecycle();
        }
        return b.build();
    }

    private static io.fabric8.kubernetes.api.model.Container sidecar(String name) {
        return new ContainerBuilder().withName(name).withRestartPolicy("Always").build();
    }

    private static Container running(String name) {
        return Container.newBuilder().setId("id-" + name).setState(ContainerState.CONTAINER_RUNNING)
                .setMetadata(ContainerMetadata.newBuilder().setName(name)).build();
    }

    private static RuntimePod runtimePod(Container... containers) {
        return new RuntimePod("u1", "web", "ns", List.of(PodSandbox.newBuilder().setId("sb")
                .setState(PodSandboxState.SANDBOX_READY).build()), List.of(containers));
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(5);
        }
    }

    private long timeoutOfStop(String id) {
        return calls.stream().filter(c -> c.startsWith("stop " + id + " ")).findFirst()
                .map(c -> Long.parseLong(c.substring(c.lastIndexOf(' ') + 1))).orElseThrow();
    }

    @Test
    void preStopRunsBeforeTheStopAndCountsAgainstTheGracePeriod() throws Exception {
        Pod p = pod(List.of(spec("app", true)), List.of());
        CompletableFuture<Void> done = killer.killPod(p, runtimePod(running("app")), Duration.ofSeconds(30));
        await("hook running", () -> calls.contains("exec id-app sh -c drain"));
        Thread.sleep(1100);
        assertFalse(calls.stream().anyMatch(c -> c.startsWith("stop id-app")), "no signal before the hook is done");
        execGate.complete(null);
        done.get(20, TimeUnit.SECONDS);
        assertTrue(calls.indexOf("exec done id-app") < calls.indexOf("stop id-app " + timeoutOfStop("id-app")));
        assertTrue(timeoutOfStop("id-app") < 30, "the hook's time came off the grace period: " + calls);
        assertEquals("stop sandbox", calls.get(calls.size() - 1), "the sandbox goes after its containers");
        assertEquals(List.of("Killing spec.containers{app}: Stopping container app"), events);
    }

    @Test
    void aPreStopStillRunningAtTheEndOfTheGracePeriodIsCutThere() throws Exception {
        Pod p = pod(List.of(spec("app", true)), List.of());
        CompletableFuture<Void> done = killer.killContainers(p, List.of(new PodKiller.Kill("id-app", "app",
                "Container app failed liveness probe, will be restarted", Duration.ofSeconds(1), Map.of())));
        done.get(20, TimeUnit.SECONDS);
        assertFalse(calls.contains("exec done id-app"), "the hook never ended: " + calls);
        assertEquals(PodKiller.MINIMUM_GRACE_SECONDS, timeoutOfStop("id-app"), "then at least 2 s to stop");
        assertEquals(List.of("Killing spec.containers{app}: Container app failed liveness probe, will be restarted"), events);
    }

    @Test
    void aFailedPreStopIsAnEventAndTheStopGoesOn() throws Exception {
        execExit = 1;
        execGate.complete(null);
        Pod p = pod(List.of(spec("app", true)), List.of());
        killer.killPod(p, runtimePod(running("app")), Duration.ofSeconds(10)).get(20, TimeUnit.SECONDS);
        assertTrue(calls.contains("stopped id-app"));
        assertTrue(events.contains("FailedPreStopHook spec.containers{app}: PreStop hook failed"), events.toString());
    }

    @Test
    void appContainersStopFirstThenSidecarsInReverseOrder() throws Exception {
        Pod p = pod(List.of(spec("app", false)), List.of(sidecar("proxy"), sidecar("logs")));
        stopGates.put("id-app", new CompletableFuture<>());
        stopGates.put("id-logs", new CompletableFuture<>());
        CompletableFuture<Void> done = killer.killPod(p, runtimePod(running("proxy"), running("app"), running("logs")),
                Duration.ofSeconds(30));
        await("app stopping", () -> calls.contains("stop id-app 30"));
        Thread.sleep(200);
        assertFalse(calls.stream().anyMatch(c -> c.startsWith("stop id-logs") || c.startsWith("stop id-proxy")),
                "sidecars wait for the app containers: " + calls);
        stopGates.get("id-app").complete(null);
        await("last sidecar stopping", () -> calls.stream().anyMatch(c -> c.startsWith("stop id-logs")));
        Thread.sleep(200);
        assertFalse(calls.stream().anyMatch(c -> c.startsWith("stop id-proxy")), "proxy waits for logs: " + calls);
        stopGates.get("id-logs").complete(null);
        done.get(20, TimeUnit.SECONDS);
        assertTrue(calls.indexOf("stopped id-logs") < calls.indexOf("stop id-proxy " + timeoutOfStop("id-proxy")));
    }

    @Test
    void aSecondKillJoinsTheFirstAndAShorterGracePeriodStopsAgainSooner() throws Exception {
        Pod p = pod(List.of(spec("app", false)), List.of());
        stopGates.put("id-app", new CompletableFuture<>());
        CompletableFuture<Void> first = killer.killPod(p, runtimePod(running("app")), Duration.ofSeconds(30));
        await("stopping", () -> calls.contains("stop id-app 30"));
        CompletableFuture<Void> same = killer.killPod(p, runtimePod(running("app")), Duration.ofSeconds(40));
        Thread.sleep(100);
        assertEquals(1, calls.stream().filter(c -> c.startsWith("stop id-app")).count(), "a longer one joins: " + calls);
        CompletableFuture<Void> sooner = killer.killPod(p, runtimePod(running("app")), Duration.ofSeconds(3));
        await("stopped again, shorter", () -> calls.contains("stop id-app 3"));
        stopGates.get("id-app").complete(null);
        CompletableFuture.allOf(first, same, sooner).get(20, TimeUnit.SECONDS);
    }

    @Test
    void theGracePeriodEndsPreStopAndTurnAlike() throws Exception {
        // a sidecar whose app container never stops still gets its stop when its own grace period ends
        Pod p = pod(List.of(spec("app", false)), List.of(sidecar("proxy")));
        stopGates.put("id-app", new CompletableFuture<>());
        CompletableFuture<Void> done = killer.killPod(p, runtimePod(running("app"), running("proxy")),
                Duration.ofSeconds(1));
        await("proxy stopped at its deadline", () -> calls.contains("stopped id-proxy"));
        assertFalse(done.isDone());
        stopGates.get("id-app").complete(null);
        done.get(20, TimeUnit.SECONDS);
    }

    @Test
    void aPodWhoseSpecIsGoneRunsThePreStopFromTheAnnotation() throws Exception {
        execGate.complete(null);
        Pod orphan = new PodBuilder().withNewMetadata().withName("web").withNamespace("ns").withUid("u1").endMetadata()
                .withNewSpec().withContainers(List.of()).endSpec().build();
        Container c = running("app").toBuilder().putAnnotations(KubeAnnotations.CONTAINER_PRESTOP_HANDLER,
                "{\"exec\":{\"command\":[\"sh\",\"-c\",\"bye\"]}}").build();
        killer.killPod(orphan, runtimePod(c), Duration.ofSeconds(10)).get(20, TimeUnit.SECONDS);
        assertTrue(calls.contains("exec id-app sh -c bye"), calls.toString());
    }

    @Test
    void aFailedStopIsAKillException() {
        RuntimeService failing = (RuntimeService) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[]{RuntimeService.class}, (proxy, method, args) -> {
                    throw Status.UNKNOWN.withDescription("docker said no").asRuntimeException();
                });
        try (PodKiller k = new PodKiller(failing, null, timer, EventRecorder.NONE, uid -> Optional.empty())) {
            Pod p = pod(List.of(spec("app", false)), List.of());
            ExecutionException e = assertThrows(ExecutionException.class, () -> k.killPod(p, runtimePod(running("app")),
                    Duration.ofSeconds(2)).get(20, TimeUnit.SECONDS));
            PodKiller.KillException ke = assertInstanceOf(PodKiller.KillException.class, e.getCause());
            assertEquals("pod ns/web (u1): cannot stop id-app: rpc error: code = Unknown desc = docker said no",
                    ke.getMessage());
        }
    }
}
