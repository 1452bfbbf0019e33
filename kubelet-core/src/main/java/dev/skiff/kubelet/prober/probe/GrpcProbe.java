package dev.skiff.kubelet.prober.probe;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import dev.skiff.kubelet.config.GoDuration;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The grpc handler (upstream pkg/probe/grpc): {@code grpc.health.v1.Health/Check} with the probe's service, over
 * plaintext, on the probes' event loop, within the timeout (waiting for the connection as upstream's blocking
 * dial does). SERVING passes with "service is healthy"; anything else fails with upstream's message. One channel
 * per check, shut down when it answers.
 */
public final class GrpcProbe {
    private final ProbeNetwork net;
    private final String userAgent;

    public GrpcProbe(ProbeNetwork net, String userAgent) {
        this.net = net;
        this.userAgent = userAgent;
    }

    public CompletableFuture<ProbeOutcome> probe(String host, int port, String service, Duration timeout) {
        String addr = GoErrors.joinHostPort(host, port);
        return net.resolve(host, port).thenCompose(address -> check(address, addr, service == null ? "" : service,
                timeout)).exceptionally(e -> ProbeOutcome.failure("error: failed to connect service at \"" + addr
                + "\": " + GoErrors.reason(e)));
    }

    private CompletableFuture<ProbeOutcome> check(InetSocketAddress address, String addr, String service,
                                                  Duration timeout) {
        ManagedChannel channel = NettyChannelBuilder.forAddress(address)
                .eventLoopGroup(net.group())
                .channelType(net.channelType())
                .usePlaintext()
                .userAgent(userAgent)
                .directExecutor()
                .offloadExecutor(net.blocking())
                .build();
        CompletableFuture<ProbeOutcome> out = new CompletableFuture<>();
        var call = HealthGrpc.newFutureStub(channel).withWaitForReady()
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .check(HealthCheckRequest.newBuilder().setService(service).build());
        Futures.addCallback(call, new FutureCallback<>() {
            @Override
            public void onSuccess(HealthCheckResponse r) {
                channel.shutdownNow();
                out.complete(r.getStatus() == HealthCheckResponse.ServingStatus.SERVING
                        ? ProbeOutcome.success("service is healthy")
                        : ProbeOutcome.failure("service unhealthy (responded with \"" + r.getStatus() + "\")"));
            }

            @Override
            public void onFailure(Throwable t) {
                boolean connected = channel.getState(false) == ConnectivityState.READY;
                channel.shutdownNow();
                out.complete(ProbeOutcome.failure(failure(Status.fromThrowable(t), connected, addr, timeout)));
            }
        }, MoreExecutors.directExecutor());
        return out;
    }

    /** Upstream's messages for a failed check. */
    static String failure(Status s, boolean connected, String addr, Duration timeout) {
        String within = GoDuration.format(timeout);
        return switch (s.getCode()) {
            case DEADLINE_EXCEEDED -> connected
                    ? "timeout: health rpc did not complete within " + within
                    : "timeout: failed to connect service \"" + addr + "\" within " + within
                    + ": context deadline exceeded";
            case UNIMPLEMENTED -> "error: this server does not implement the grpc health protocol "
                    + "(grpc.health.v1.Health): " + nullToEmpty(s.getDescription());
            default -> "error: health rpc probe failed: rpc error: code = " + goCode(s.getCode()) + " desc = "
                    + nullToEmpty(s.getDescription());
        };
    }

    /** grpc-go's codes.Code String(): {@code Unavailable}, {@code NotFound}, {@code Canceled}, … */
    static String goCode(Status.Code code) {
        if (code == Status.Code.CANCELLED) {
            return "Canceled";
        }
        StringBuilder sb = new StringBuilder();
        for (String part : code.name().split("_")) {
            sb.append(part.charAt(0)).append(part.substring(1).toLowerCase(java.util.Locale.ROOT));
        }
        return sb.toString();
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
