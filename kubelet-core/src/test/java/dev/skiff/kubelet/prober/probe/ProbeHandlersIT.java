package dev.skiff.kubelet.prober.probe;

import com.github.dockerjava.api.DockerClient;
import dev.skiff.cri.CriRuntime;
import dev.skiff.cri.docker.DockerCriRuntime;
import dev.skiff.cri.docker.DockerShimConfig;
import dev.skiff.cri.testing.TestDocker;
import dev.skiff.cri.testing.TestImages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every handler against a real busybox container on Docker's bridge: httpd on 8080, nc on 9000, ExecSync through
 * the Docker shim. The container carries a namespace label of its own and is removed whatever the outcome.
 */
class ProbeHandlersIT {
    private static final String NS = TestDocker.newNamespace("probe-it");
    private static final DockerClient docker = TestDocker.client();
    private static String id;
    private static String ip;
    private static CriRuntime cri;
    private static final ProbeNetwork net = new ProbeNetwork(Executors.newFixedThreadPool(2));

    @BeforeAll
    static void startContainer() throws Exception {
        String image = TestImages.busybox(docker);
        id = docker.createContainerCmd(image)
                .withName("skiff-probe-it-" + NS)
                .withLabels(Map.of("io.kubernetes.pod.namespace", NS))
                .withCmd("sh", "-c", "mkdir -p /www && echo ok > /www/healthz && httpd -p 8080 -h /www && "
                        + "exec nc -ll -p 9000 -e true") // -ll: a persistent listener, no gap between connections
                .exec().getId();
        docker.startContainerCmd(id).exec();
        ip = docker.inspectContainerCmd(id).exec().getNetworkSettings().getNetworks().values().iterator().next()
                .getIpAddress();
        cri = DockerCriRuntime.connect(new DockerShimConfig(TestDocker.ENDPOINT, null));
        // httpd and nc listen a moment after the start
        TcpProbe tcp = new TcpProbe(net);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!(tcp.probe(ip, 8080, Duration.ofSeconds(1)).get().passed()
                && tcp.probe(ip, 9000, Duration.ofSeconds(1)).get().passed())) {
            assertTrue(System.nanoTime() < deadline, "httpd and nc did not listen within 30 s");
            Thread.sleep(200);
        }
    }

    @AfterAll
    static void cleanUp() throws Exception {
        try {
            net.close();
            if (cri != null) {
                cri.close();
            }
        } finally {
            TestDocker.removeNamespace(NS);
        }
    }

    @Test
    void httpGetAgainstBusyboxHttpd() throws Exception {
        HttpProbe http = new HttpProbe(net, "kube-probe/1.32");
        assertEquals(ProbeOutcome.success("ok\n"), http.probe(HttpProbe.url("HTTP", ip, 8080, "/healthz"), List.of(),
                Duration.ofSeconds(2)).get(20, TimeUnit.SECONDS));
        assertEquals(ProbeOutcome.failure("HTTP probe failed with statuscode: 404"),
                http.probe(HttpProbe.url("HTTP", ip, 8080, "/missing"), List.of(), Duration.ofSeconds(2))
                        .get(20, TimeUnit.SECONDS));
        assertEquals(ProbeOutcome.failure("Get \"http://" + ip + ":8081/healthz\": dial tcp " + ip
                        + ":8081: connect: connection refused"),
                http.probe(HttpProbe.url("HTTP", ip, 8081, "/healthz"), List.of(), Duration.ofSeconds(2))
                        .get(20, TimeUnit.SECONDS));
    }

    @Test
    void tcpSocketAgainstBusyboxNc() throws Exception {
        TcpProbe tcp = new TcpProbe(net);
        assertEquals(ProbeOutcome.success(""), tcp.probe(ip, 9000, Duration.ofSeconds(1)).get(20, TimeUnit.SECONDS));
        assertEquals(ProbeOutcome.failure("dial tcp " + ip + ":9001: connect: connection refused"),
                tcp.probe(ip, 9001, Duration.ofSeconds(1)).get(20, TimeUnit.SECONDS));
    }

    @Test
    void execThroughCriExecSync() throws Exception {
        ExecProbe exec = new ExecProbe(cri.runtime(), Executors.newSingleThreadExecutor());
        assertEquals(ProbeOutcome.success("ok\n"), exec.probe(id, List.of("cat", "/www/healthz"), Duration.ofSeconds(5))
                .get(30, TimeUnit.SECONDS));
        assertEquals(ProbeOutcome.failure("no\n"), exec.probe(id, List.of("sh", "-c", "echo no; exit 3"),
                Duration.ofSeconds(5)).get(30, TimeUnit.SECONDS));
        assertEquals(ProbeOutcome.failure("command \"sleep 30\" timed out"),
                exec.probe(id, List.of("sleep", "30"), Duration.ofSeconds(1)).get(60, TimeUnit.SECONDS));
    }

    @Test
    void grpcAgainstAPortThatIsNotGrpc() throws Exception {
        GrpcProbe grpc = new GrpcProbe(net, "kube-probe/1.32");
        ProbeOutcome o = grpc.probe(ip, 8080, "", Duration.ofSeconds(1)).get(30, TimeUnit.SECONDS);
        assertEquals(ProbeOutcome.Result.FAILURE, o.result(), o.toString());
        assertTrue(o.output().startsWith("timeout: failed to connect service \"" + ip + ":8080\" within 1s")
                || o.output().startsWith("error: health rpc probe failed: "), o.output());
    }
}
