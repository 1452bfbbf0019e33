package dev.skiff.kubelet.prober.probe;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TcpProbeTest {
    private final ProbeNetwork net = new ProbeNetwork(Executors.newSingleThreadExecutor());
    private final TcpProbe probe = new TcpProbe(net);

    @AfterEach
    void close() {
        net.close();
    }

    @Test
    void aListeningPortPasses() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            assertEquals(ProbeOutcome.success(""),
                    probe.probe("127.0.0.1", s.getLocalPort(), Duration.ofSeconds(1)).get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void aClosedPortFailsWithGosDialError() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        assertEquals(ProbeOutcome.failure("dial tcp 127.0.0.1:" + port + ": connect: connection refused"),
                probe.probe("127.0.0.1", port, Duration.ofSeconds(1)).get(10, TimeUnit.SECONDS));
    }

    @Test
    void anUnknownHostFails() throws Exception {
        ProbeOutcome o = probe.probe("no-such-host.invalid", 80, Duration.ofSeconds(1)).get(30, TimeUnit.SECONDS);
        assertEquals(ProbeOutcome.failure("dial tcp no-such-host.invalid:80: lookup no-such-host.invalid: no such host"), o);
    }
}
