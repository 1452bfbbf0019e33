package dev.skiff.kubelet.prober.probe;

import io.netty.channel.ChannelInboundHandlerAdapter;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The tcpSocket handler (upstream pkg/probe/tcp): a connection opened within the timeout passes and is closed at
 * once; otherwise it fails with Go's dial error, e.g. {@code dial tcp 10.0.0.5:81: connect: connection refused}.
 */
public final class TcpProbe {
    private final ProbeNetwork net;

    public TcpProbe(ProbeNetwork net) {
        this.net = net;
    }

    public CompletableFuture<ProbeOutcome> probe(String host, int port, Duration timeout) {
        String hostPort = GoErrors.joinHostPort(host, port);
        return net.resolve(host, port)
                .thenCompose(address -> net.connect(address, timeout, new ChannelInboundHandlerAdapter()))
                .handle((channel, error) -> {
                    if (error != null) {
                        return ProbeOutcome.failure(GoErrors.dial(hostPort, error));
                    }
                    channel.close();
                    return ProbeOutcome.success("");
                });
    }
}
