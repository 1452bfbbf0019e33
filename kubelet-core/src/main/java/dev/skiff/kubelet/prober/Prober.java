package dev.skiff.kubelet.prober;

import dev.skiff.kubelet.events.EventRecorder;
import dev.skiff.kubelet.events.EventTarget;
import dev.skiff.kubelet.events.Reasons;
import dev.skiff.kubelet.kuberuntime.manager.PodRef;
import dev.skiff.kubelet.prober.probe.ExecProbe;
import dev.skiff.kubelet.prober.probe.GrpcProbe;
import dev.skiff.kubelet.prober.probe.HttpProbe;
import dev.skiff.kubelet.prober.probe.ProbeException;
import dev.skiff.kubelet.prober.probe.ProbeOutcome;
import dev.skiff.kubelet.prober.probe.TcpProbe;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Probe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Upstream's prober.go: picks the probe's handler, resolves its host (the probe's, else the pod IP) and port
 * (number or named container port), runs it with the probe's timeout, retries a probe that errored up to 3 times,
 * and turns the handler's outcome into a verdict (a warning passes). Every run that does not plainly pass is an
 * event on the container, as upstream records it: Unhealthy {@code Liveness probe failed: …} or
 * {@code … probe errored: …}, ProbeWarning {@code … probe warning: …}.
 */
public final class Prober implements ProbeRunner {
    private static final Logger log = LoggerFactory.getLogger(Prober.class);
    /** Upstream maxProbeRetries: tries of a probe that errors (not of one that fails). */
    static final int MAX_PROBE_RETRIES = 3;

    private final ExecProbe exec;
    private final HttpProbe http;
    private final TcpProbe tcp;
    private final GrpcProbe grpc;
    private final EventRecorder events;

    public Prober(ExecProbe exec, HttpProbe http, TcpProbe tcp, GrpcProbe grpc, EventRecorder events) {
        this.events = events;
        this.exec = exec;
        this.http = http;
        this.tcp = tcp;
        this.grpc = grpc;
    }

    @Override
    public CompletableFuture<Verdict> probe(ProbeType type, Pod pod, PodStatus status, Container container,
                                            String containerId) {
        Probe spec = type.of(container);
        if (spec == null) {
            return CompletableFuture.completedFuture(new Verdict(true, ""));
        }
        return withRetries(() -> run(spec, status, container, containerId), MAX_PROBE_RETRIES).handle((o, error) -> {
            if (error != null) {
                Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                log.debug("pod {} container {}: {} probe errored: {}", PodRef.of(pod), container.getName(), type,
                        e.getMessage());
                events.warning(EventTarget.container(pod, container.getName()), Reasons.UNHEALTHY,
                        type + " probe errored: " + e.getMessage());
                throw new ProbeException(type + " probe errored: " + e.getMessage(), e);
            }
            if (o.result() == ProbeOutcome.Result.WARNING) {
                log.debug("pod {} container {}: {} probe warning: {}", PodRef.of(pod), container.getName(), type,
                        o.output());
                events.warning(EventTarget.container(pod, container.getName()), Reasons.PROBE_WARNING,
                        type + " probe warning: " + o.output());
            } else if (!o.passed()) {
                log.debug("pod {} container {}: {} probe failed: {}", PodRef.of(pod), container.getName(), type,
                        o.output());
                events.warning(EventTarget.container(pod, container.getName()), Reasons.UNHEALTHY,
                        type + " probe failed: " + o.output());
            }
            return new Verdict(o.passed(), o.output());
        });
    }

    private static CompletableFuture<ProbeOutcome> withRetries(java.util.function.Supplier<CompletableFuture<ProbeOutcome>> attempt,
                                                               int tries) {
        CompletableFuture<ProbeOutcome> first = safely(attempt);
        if (tries <= 1) {
            return first;
        }
        return first.handle((o, e) -> e == null ? CompletableFuture.completedFuture(o) : withRetries(attempt, tries - 1))
                .thenCompose(f -> f);
    }

    private static CompletableFuture<ProbeOutcome> safely(java.util.function.Supplier<CompletableFuture<ProbeOutcome>> attempt) {
        try {
            return attempt.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Upstream runProbe. */
    private CompletableFuture<ProbeOutcome> run(Probe p, PodStatus status, Container container, String containerId) {
        Duration timeout = Duration.ofSeconds(p.getTimeoutSeconds() == null || p.getTimeoutSeconds() <= 0 ? 1
                : p.getTimeoutSeconds());
        if (p.getExec() != null) {
            List<String> command = p.getExec().getCommand() == null ? List.of() : p.getExec().getCommand();
            return exec.probe(containerId, command, timeout);
        }
        if (p.getHttpGet() != null) {
            HTTPGetAction g = p.getHttpGet();
            int port = ContainerPorts.resolve(g.getPort(), container);
            String scheme = g.getScheme() == null || g.getScheme().isEmpty() ? "HTTP" : g.getScheme();
            List<HttpProbe.Header> headers = g.getHttpHeaders() == null ? List.of() : g.getHttpHeaders().stream()
                    .map(h -> new HttpProbe.Header(h.getName(), h.getValue() == null ? "" : h.getValue())).toList();
            return http.probe(HttpProbe.url(scheme, host(g.getHost(), status), port, g.getPath()), headers, timeout);
        }
        if (p.getTcpSocket() != null) {
            int port = ContainerPorts.resolve(p.getTcpSocket().getPort(), container);
            return tcp.probe(host(p.getTcpSocket().getHost(), status), port, timeout);
        }
        if (p.getGrpc() != null) {
            Integer port = p.getGrpc().getPort();
            if (port == null || port <= 0 || port > 65535) {
                throw new ProbeException("invalid port number: " + port);
            }
            return grpc.probe(host(null, status), port, p.getGrpc().getService(), timeout);
        }
        throw new ProbeException("missing probe handler for container \"" + container.getName() + "\"");
    }

    /** The probe's host, else the pod IP (for a hostNetwork pod the node's, as its status reports). */
    private static String host(String probeHost, PodStatus status) {
        if (probeHost != null && !probeHost.isEmpty()) {
            return probeHost;
        }
        String ip = status.getPodIP();
        if (ip == null || ip.isEmpty()) {
            throw new ProbeException("pod has no IP yet");
        }
        return ip;
    }
}
