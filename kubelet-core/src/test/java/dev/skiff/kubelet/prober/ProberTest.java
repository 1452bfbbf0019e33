package dev.skiff.kubelet.prober;

import dev.skiff.kubelet.prober.probe.ExecProbe;
import dev.skiff.kubelet.prober.probe.GrpcProbe;
import dev.skiff.kubelet.prober.probe.HttpProbe;
import dev.skiff.kubelet.prober.probe.ProbeException;
import dev.skiff.kubelet.prober.probe.ProbeNetwork;
import dev.skiff.kubelet.prober.probe.TcpProbe;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Handler choice, host and port resolution, on real sockets (no runtime: exec is not used here). */
class ProberTest {
    private final java.util.List<String> recorded = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final dev.skiff.kubelet.events.EventRecorder recordedEvents = (target, type, reason, message) ->
            recorded.add(target.fieldPath() + " " + type + " " + reason + " " + message);
    private final ProbeNetwork net = new ProbeNetwork(Executors.newSingleThreadExecutor());
    private final Prober prober = new Prober(new ExecProbe(null, Runnable::run), new HttpProbe(net, "kube-probe/1.32"),
            new TcpProbe(net), new GrpcProbe(net, "kube-probe/1.32"), recordedEvents);

    @AfterEach
    void close() {
        net.close();
    }

    private ProbeRunner.Verdict run(Pod pod, ProbeType type) throws Exception {
        return prober.probe(type, pod, ProbePods.running("c1", Instant.now(), true), pod.getSpec().getContainers().get(0),
                "c1").get(20, TimeUnit.SECONDS);
    }

    @Test
    void aNamedPortResolvesToTheContainersPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Pod pod = ProbePods.pod("Always", """
                    readinessProbe:
                      tcpSocket: {port: probe}
                    """.replace("probe", "probe-port"));
            pod.getSpec().getContainers().get(0).getPorts().add(
                    new io.fabric8.kubernetes.api.model.ContainerPortBuilder().withName("probe-port")
                            .withContainerPort(s.getLocalPort()).build());
            assertEquals(new ProbeRunner.Verdict(true, ""), run(pod, ProbeType.READINESS));
        }
    }

    @Test
    void theHostDefaultsToThePodIp() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Pod pod = ProbePods.pod("Always", "livenessProbe:\n  tcpSocket: {port: " + port + "}\n");
        ProbeRunner.Verdict v = run(pod, ProbeType.LIVENESS);
        assertEquals(new ProbeRunner.Verdict(false, "dial tcp 127.0.0.1:" + port + ": connect: connection refused"), v);
        assertEquals(java.util.List.of("spec.containers{app} " + dev.skiff.kubelet.events.EventType.WARNING
                + " Unhealthy Liveness probe failed: dial tcp 127.0.0.1:" + port + ": connect: connection refused"), recorded);
    }

    @Test
    void anUnknownPortNameIsAProbeErrorNamingThePort() {
        Pod pod = ProbePods.pod("Always", """
                readinessProbe:
                  httpGet: {port: metrics}
                """);
        ExecutionException e = assertThrows(ExecutionException.class, () -> run(pod, ProbeType.READINESS));
        ProbeException pe = assertInstanceOf(ProbeException.class, e.getCause());
        assertTrue(pe.getMessage().startsWith("Readiness probe errored: port metrics not found in container \"app\""),
                pe.getMessage());
    }

    @Test
    void noProbeOfThatTypePasses() throws Exception {
        Pod pod = ProbePods.pod("Always", "");
        assertEquals(new ProbeRunner.Verdict(true, ""), run(pod, ProbeType.LIVENESS));
    }
}
