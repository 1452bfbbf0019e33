package dev.skiff.kubelet.prober.probe;

import com.sun.net.httpserver.HttpServer;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GrpcProbeTest {
    private final ProbeNetwork net = new ProbeNetwork(Executors.newSingleThreadExecutor());
    private final GrpcProbe probe = new GrpcProbe(net, "kube-probe/1.32");
    private final HealthStatusManager health = new HealthStatusManager();
    private Server server;

    @AfterEach
    void close() throws InterruptedException {
        if (server != null) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        net.close();
    }

    private int serveHealth() throws Exception {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(health.getHealthService()).build().start();
        return server.getPort();
    }

    private ProbeOutcome check(int port, String service, Duration timeout) throws Exception {
        return probe.probe("127.0.0.1", port, service, timeout).get(30, TimeUnit.SECONDS);
    }

    @Test
    void servingPasses() throws Exception {
        int port = serveHealth();
        assertEquals(ProbeOutcome.success("service is healthy"), check(port, "", Duration.ofSeconds(20)));
    }

    @Test
    void notServingFailsWithUpstreamsMessage() throws Exception {
        int port = serveHealth();
        health.setStatus("db", ServingStatus.NOT_SERVING);
        assertEquals(ProbeOutcome.failure("service unhealthy (responded with \"NOT_SERVING\")"),
                check(port, "db", Duration.ofSeconds(20)));
        health.setStatus("db", ServingStatus.SERVING);
        assertEquals(ProbeOutcome.success("service is healthy"), check(port, "db", Duration.ofSeconds(20)));
    }

    @Test
    void anUnknownServiceFails() throws Exception {
        int port = serveHealth();
        assertEquals(ProbeOutcome.failure("error: health rpc probe failed: rpc error: code = NotFound desc = unknown service nope"),
                check(port, "nope", Duration.ofSeconds(20)));
    }

    @Test
    void aServerWithoutTheHealthServiceFails() throws Exception {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).build().start();
        ProbeOutcome o = check(server.getPort(), "", Duration.ofSeconds(20));
        assertEquals(ProbeOutcome.Result.FAILURE, o.result());
        assertTrue(o.output().startsWith("error: this server does not implement the grpc health protocol "
                + "(grpc.health.v1.Health): "), o.output());
    }

    @Test
    void aPortThatIsNotGrpcFailsWithinTheTimeout() throws Exception {
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.start();
        try {
            int port = http.getAddress().getPort();
            assertEquals(ProbeOutcome.failure("timeout: failed to connect service \"127.0.0.1:" + port
                    + "\" within 1s: context deadline exceeded"), check(port, "", Duration.ofSeconds(1)));
        } finally {
            http.stop(0);
        }
    }

    @Test
    void aClosedPortFailsWithinTheTimeout() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        assertEquals(ProbeOutcome.failure("timeout: failed to connect service \"127.0.0.1:" + port
                + "\" within 1s: context deadline exceeded"), check(port, "", Duration.ofSeconds(1)));
    }

    @Test
    void goCodeNames() {
        assertEquals("Unavailable", GrpcProbe.goCode(Status.Code.UNAVAILABLE));
        assertEquals("DeadlineExceeded", GrpcProbe.goCode(Status.Code.DEADLINE_EXCEEDED));
        assertEquals("Canceled", GrpcProbe.goCode(Status.Code.CANCELLED));
    }
}
