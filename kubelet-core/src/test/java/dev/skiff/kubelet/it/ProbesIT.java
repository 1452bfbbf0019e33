package dev.skiff.kubelet.it;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Probes end to end: the kubelet probes real containers (busybox httpd, files for exec), restarts on a liveness
 * failure, flips Ready both ways, holds liveness behind a startup probe, probes a real grpc.health.v1 server, and a
 * kill -9 of Skiff while probing restarts nothing.
 */
class ProbesIT extends KubeletItSupport {
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(60);

    private static Optional<PodCondition> condition(Pod p, String type) {
        return p.getStatus() == null || p.getStatus().getConditions() == null ? Optional.empty()
                : p.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    private static boolean ready(Pod p, boolean want) {
        return allRunning(p) && condition(p, "Ready").map(c -> c.getStatus().equals(want ? "True" : "False")).orElse(false)
                && condition(p, "ContainersReady").map(c -> c.getStatus().equals(want ? "True" : "False")).orElse(false)
                && Boolean.valueOf(want).equals(status(p, "app").getReady());
    }

    private static int restarts(Pod p) {
        ContainerStatus s = status(p, "app");
        return s.getRestartCount() == null ? 0 : s.getRestartCount();
    }

    @Test
    void aFailingLivenessProbeRestartsTheContainerWithTheReason() throws Exception {
        kubelet.writeManifest("live.yaml", podYaml("live", "", container("app",
                "touch /tmp/alive; sleep 3; rm /tmp/alive; exec sleep 3600") + """
                    livenessProbe:
                      exec: {command: [cat, /tmp/alive]}
                      periodSeconds: 1
                      failureThreshold: 2
                """));
        Pod p = kubelet.awaitPod("live", x -> allRunning(x) && restarts(x) >= 1, PROBE_TIMEOUT, "restarted by liveness");
        ContainerStatus s = status(p, "app");
        var last = s.getLastState().getTerminated();
        assertTrue(last != null && last.getMessage() != null
                && last.getMessage().startsWith("Liveness probe failed: cat: can't open '/tmp/alive'"), kubelet.toJson(s));
        assertTrue(kubelet.log().contains("Container app failed liveness probe, will be restarted"), kubelet.logTail());
        // upstream's events: Unhealthy from the prober, Killing from the kill
        String events = events(p);
        assertTrue(events.contains("\"reason\":\"Unhealthy\"") && events.contains("Liveness probe failed: cat: can't open '/tmp/alive'")
                && events.contains("Container app failed liveness probe, will be restarted"), events);
    }

    /** {@code GET /events?pod=NS/NAME} as text. */
    private String events(Pod p) throws Exception {
        var uri = java.net.URI.create("http://127.0.0.1:" + kubelet.readOnlyPort() + "/events?pod="
                + p.getMetadata().getNamespace() + "/" + p.getMetadata().getName());
        var response = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(10)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return response.body();
    }

    @Test
    void readinessFlipsReadyBothWays() throws Exception {
        kubelet.writeManifest("ready.yaml", podYaml("ready", "", container("app",
                "mkdir -p /www && httpd -p 8080 -h /www && exec sleep 3600") + """
                    ports: [{name: web, containerPort: 8080}]
                    readinessProbe:
                      httpGet: {port: web, path: /ready}
                      periodSeconds: 1
                      failureThreshold: 1
                """));
        Pod notReady = kubelet.awaitPod("ready", x -> ready(x, false), PROBE_TIMEOUT, "running, not ready (404)");
        assertEquals("ContainersNotReady", condition(notReady, "Ready").get().getReason());
        String id = dockerId(notReady, "app");
        PodDocker.sh(id, "echo ok > /www/ready");
        Pod isReady = kubelet.awaitPod("ready", x -> ready(x, true), PROBE_TIMEOUT, "ready");
        String readySince = condition(isReady, "Ready").get().getLastTransitionTime();
        PodDocker.sh(id, "rm /www/ready");
        Pod again = kubelet.awaitPod("ready", x -> ready(x, false), PROBE_TIMEOUT, "not ready again");
        String unreadySince = condition(again, "Ready").get().getLastTransitionTime();
        assertTrue(readySince != null && unreadySince != null
                && !java.time.Instant.parse(unreadySince).isBefore(java.time.Instant.parse(readySince)),
                "Ready turned False at " + unreadySince + ", after turning True at " + readySince);
        assertEquals(unreadySince, condition(again, "ContainersReady").get().getLastTransitionTime());
        assertEquals(0, restarts(again), "readiness never restarts");
    }

    @Test
    void aStartupProbeHoldsLivenessUntilItPasses() throws Exception {
        kubelet.writeManifest("slow.yaml", podYaml("slow", "", container("app", "exec sleep 3600") + """
                    startupProbe:
                      exec: {command: [cat, /tmp/started]}
                      periodSeconds: 1
                      failureThreshold: 60
                    livenessProbe:
                      exec: {command: [cat, /tmp/alive]}
                      periodSeconds: 1
                      failureThreshold: 1
                """));
        Pod p = awaitRunning("slow");
        Thread.sleep(5_000); // a liveness probe would have killed it by now
        Pod held = kubelet.pod("slow").orElseThrow();
        assertEquals(0, restarts(held), kubelet.toJson(held.getStatus()));
        assertEquals(Boolean.FALSE, status(held, "app").getStarted(), kubelet.toJson(held.getStatus()));
        PodDocker.sh(dockerId(p, "app"), "touch /tmp/started");
        // started, then the liveness probe (no /tmp/alive) runs and kills it
        Pod restarted = kubelet.awaitPod("slow", x -> allRunning(x) && restarts(x) >= 1, PROBE_TIMEOUT,
                "restarted by liveness after the start");
        assertTrue(status(restarted, "app").getLastState().getTerminated().getMessage().startsWith("Liveness probe failed: "),
                kubelet.toJson(restarted.getStatus()));
    }

    @Test
    void aGrpcProbeAgainstARealHealthServer() throws Exception {
        HealthStatusManager health = new HealthStatusManager();
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("0.0.0.0", 0))
                .addService(health.getHealthService()).build().start();
        try {
            health.setStatus("db", ServingStatus.NOT_SERVING);
            // hostNetwork: the probe goes to the node's IP, where this test's server listens
            kubelet.writeManifest("grpc.yaml", podYaml("grpc", "  hostNetwork: true\n", container("app",
                    "exec sleep 3600") + """
                        readinessProbe:
                          grpc: {port: %d, service: db}
                          periodSeconds: 1
                          failureThreshold: 1
                    """.formatted(server.getPort())));
            kubelet.awaitPod("grpc", x -> ready(x, false), PROBE_TIMEOUT, "not ready while NOT_SERVING");
            health.setStatus("db", ServingStatus.SERVING);
            kubelet.awaitPod("grpc", x -> ready(x, true), PROBE_TIMEOUT, "ready once SERVING");
        } finally {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void killNineWhileProbingRestartsNothing() throws Exception {
        kubelet.writeManifest("steady.yaml", podYaml("steady", "", container("app",
                "mkdir -p /www && echo ok > /www/healthz && httpd -p 8080 -h /www && exec sleep 3600") + """
                    readinessProbe:
                      httpGet: {port: 8080, path: /healthz}
                      periodSeconds: 1
                    livenessProbe:
                      exec: {command: [cat, /www/healthz]}
                      periodSeconds: 1
                      failureThreshold: 1
                """));
        Pod before = kubelet.awaitPod("steady", x -> ready(x, true), PROBE_TIMEOUT, "ready");
        String id = dockerId(before, "app");
        kubelet.kill9();
        kubelet.start();
        Pod after = kubelet.awaitPod("steady", x -> ready(x, true), PROBE_TIMEOUT, "ready after the restart of Skiff");
        Thread.sleep(3_000); // several liveness periods
        Pod later = kubelet.pod("steady").orElseThrow();
        assertEquals(id, dockerId(after, "app"));
        assertEquals(id, dockerId(later, "app"), "the running container was probed again, not replaced");
        assertEquals(0, restarts(later), kubelet.toJson(later.getStatus()));
    }

    @Test
    void anUnknownPortNameLeavesThePodUnreadyAndSaysWhy() throws Exception {
        kubelet.writeManifest("noport.yaml", podYaml("noport", "", container("app", "exec sleep 3600") + """
                    readinessProbe:
                      tcpSocket: {port: metrics}
                      periodSeconds: 1
                """));
        kubelet.awaitPod("noport", x -> ready(x, false), PROBE_TIMEOUT, "running, not ready");
        awaitTrue("the probe error in the log", PROBE_TIMEOUT,
                () -> kubelet.log().contains("Readiness probe errored: port metrics not found in container \"app\""),
                kubelet::logTail);
    }

    @Test
    void twoHandlersInOneProbeAreRefusedWithUpstreamsMessage() throws Exception {
        kubelet.writeManifest("two.yaml", podYaml("two", "", container("app", "exec sleep 3600") + """
                    livenessProbe:
                      exec: {command: [cat, /tmp/x]}
                      tcpSocket: {port: 80}
                      periodSeconds: -1
                """));
        awaitTrue("the manifest error", PROBE_TIMEOUT, () -> kubelet.manifestErrors().stream().anyMatch(e ->
                e.reason().contains("spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type")
                        && e.reason().contains("spec.containers[0].livenessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0")),
                () -> kubelet.manifestErrors().toString());
        assertTrue(kubelet.pod("two").isEmpty(), "never runs");
    }
}
