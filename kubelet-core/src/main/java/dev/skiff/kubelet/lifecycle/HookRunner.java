package dev.skiff.kubelet.lifecycle;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.ExecSyncRequest;
import dev.skiff.cri.v1.ExecSyncResponse;
import dev.skiff.kubelet.events.EventRecorder;
import dev.skiff.kubelet.events.EventTarget;
import dev.skiff.kubelet.kuberuntime.actions.ImagePuller;
import dev.skiff.kubelet.kuberuntime.manager.KubeRuntimeManager;
import dev.skiff.kubelet.prober.ContainerPorts;
import dev.skiff.kubelet.prober.probe.ExecProbe;
import dev.skiff.kubelet.prober.probe.HttpProbe;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.LifecycleHandler;
import io.fabric8.kubernetes.api.model.Pod;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Upstream's lifecycle handlerRunner (pkg/kubelet/lifecycle/handlers.go): runs a postStart or preStop handler of a
 * container and says, in upstream's words, why it failed. {@code exec} is CRI ExecSync (it blocks, so it runs on the
 * {@code lifecycle-exec-N} pool); {@code httpGet} shares the probes' Netty loop, to the handler's host or else the pod
 * IP, with {@code User-Agent: kube-lifecycle/1.32}, and passes on any response (upstream checks only that one came);
 * an HTTPS request answered in plain HTTP is sent again over HTTP, with a LifecycleHTTPFallback event; {@code sleep}
 * is a timer. Nothing holds a thread while a hook waits, except an exec's CRI call.
 */
public final class HookRunner {
    /** Skiff speaks Kubernetes 1.32's APIs: hooks introduce themselves as that kubelet's. */
    public static final String USER_AGENT = "kube-lifecycle/1.32";
    static final String LIFECYCLE_HTTP_FALLBACK = "LifecycleHTTPFallback";
    /** A hook with no bound (a postStart) still ends some day: upstream's has none at all. */
    static final Duration UNBOUNDED = Duration.ofDays(1);
    private static final Logger log = LoggerFactory.getLogger(HookRunner.class);

    private final RuntimeService runtime;
    private final Executor execPool;
    private final HttpProbe http;
    private final ScheduledExecutorService timer;
    private final EventRecorder events;

    public HookRunner(RuntimeService runtime, Executor execPool, HttpProbe http, ScheduledExecutorService timer,
                      EventRecorder events) {
        this.runtime = runtime;
        this.execPool = execPool;
        this.http = http;
        this.timer = timer;
        this.events = events;
    }

    /**
     * Runs {@code handler} for the container.
     *
     * @param podIp     the pod's IP, asked only by an httpGet without a host
     * @param timeout   how long the hook may take (a preStop's grace period); null for no bound (a postStart's)
     * @param cancelled completes when nobody waits for the hook any more (the container is being killed): a sleep
     *                  ends then, with upstream's error
     * @return completes with upstream's failure message, or empty when the hook succeeded; never fails
     */
    public CompletableFuture<Optional<String>> run(Pod pod, Container container, String containerId,
                                                   LifecycleHandler handler, Supplier<Optional<String>> podIp,
                                                   Duration timeout, CompletionStage<?> cancelled) {
        String where = " for Container " + GoQuote.quote(container.getName()) + " in Pod "
                + GoQuote.quote(KubeRuntimeManager.formatPod(pod)) + " failed - error: ";
        try {
            if (handler.getExec() != null) {
                List<String> cmd = handler.getExec().getCommand() == null ? List.of() : handler.getExec().getCommand();
                return exec(containerId, cmd, timeout).thenApply(r -> r.map(e -> "Exec lifecycle hook (" + goList(cmd)
                        + ")" + where + e));
            }
            if (handler.getHttpGet() != null) {
                String path = handler.getHttpGet().getPath() == null ? "" : handler.getHttpGet().getPath();
                return httpGet(pod, container, handler.getHttpGet(), podIp, timeout)
                        .thenApply(r -> r.map(e -> "HTTP lifecycle hook (" + path + ")" + where + e));
            }
            if (handler.getSleep() != null) {
                long seconds = handler.getSleep().getSeconds() == null ? 0 : handler.getSleep().getSeconds();
                return sleep(seconds, cancelled).thenApply(r -> r.map(e -> "Sleep lifecycle hook (" + seconds + ")"
                        + where + e));
            }
            String kind = handler.getTcpSocket() != null ? "tcpSocket is not supported as a lifecycle handler"
                    : "no handler type set";
            return CompletableFuture.completedFuture(Optional.of("Cannot run handler: invalid handler: " + kind));
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(Optional.of("Cannot run handler: " + e.getMessage()));
        }
    }

    /** Upstream RunInContainer on ExecSync; the error as upstream's remote runtime words it. */
    private CompletableFuture<Optional<String>> exec(String containerId, List<String> cmd, Duration timeout) {
        long seconds = timeout == null ? 0 : Math.max(1, timeout.toSeconds());
        CompletableFuture<Optional<String>> out = new CompletableFuture<>();
        try {
            execPool.execute(() -> {
                try {
                    out.complete(execNow(containerId, cmd, seconds));
                } catch (RuntimeException e) {
                    out.complete(Optional.of(e.getMessage() + ", message: \"\""));
                }
            });
        } catch (RejectedExecutionException e) {
            out.complete(Optional.of("kubelet is shutting down, message: \"\""));
        }
        return out;
    }

    private Optional<String> execNow(String containerId, List<String> cmd, long timeoutSeconds) {
        ExecSyncResponse r;
        try {
            r = runtime.execSync(ExecSyncRequest.newBuilder().setContainerId(containerId).addAllCmd(cmd)
                    .setTimeout(timeoutSeconds).build());
        } catch (StatusRuntimeException e) {
            String err = e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED
                    ? "command " + GoQuote.quote(String.join(" ", cmd)) + " timed out"
                    : ImagePuller.goError(e);
            return Optional.of(err + ", message: \"\"");
        }
        if (r.getExitCode() == 0) {
            return Optional.empty();
        }
        String err = "command '" + String.join(" ", cmd) + "' exited with " + r.getExitCode() + ": "
                + r.getStderr().toStringUtf8();
        return Optional.of(err + ", message: " + GoQuote.quote(ExecProbe.output(r)));
    }

    /** Upstream runHTTPHandler with NewRequestForHTTPGetAction. */
    private CompletableFuture<Optional<String>> httpGet(Pod pod, Container container, HTTPGetAction get,
                                                        Supplier<Optional<String>> podIp, Duration timeout) {
        String host = get.getHost();
        if (host == null || host.isEmpty()) {
            Optional<String> ip = podIp.get();
            if (ip.isEmpty()) {
                return CompletableFuture.completedFuture(Optional.of("failed to find networking container: the pod has no IP"));
            }
            host = ip.get();
        }
        int port = ContainerPorts.resolve(get.getPort(), container);
        String scheme = get.getScheme() == null || get.getScheme().isEmpty() ? "HTTP" : get.getScheme();
        List<HttpProbe.Header> headers = get.getHttpHeaders() == null ? List.of() : get.getHttpHeaders().stream()
                .map(h -> new HttpProbe.Header(h.getName(), h.getValue() == null ? "" : h.getValue())).toList();
        URI url = HttpProbe.url(scheme, host, port, get.getPath());
        Duration bound = timeout == null ? UNBOUNDED : timeout;
        return http.hook(url, headers, bound).thenCompose(o -> {
            if (o.passed() || !o.output().contains(HttpProbe.SERVER_GAVE_HTTP)) {
                return CompletableFuture.completedFuture(o);
            }
            URI plain = HttpProbe.url("HTTP", url.getHost().replaceAll("^\\[|]$", ""), port, get.getPath());
            log.info("pod {}/{} container {}: HTTPS lifecycle hook got an HTTP response, retrying with HTTP",
                    pod.getMetadata().getNamespace(), pod.getMetadata().getName(), container.getName());
            List<HttpProbe.Header> noAuth = headers.stream().filter(h -> !h.name().equalsIgnoreCase("Authorization"))
                    .toList();
            return http.hook(plain, noAuth, bound).thenApply(retry -> {
                if (!retry.passed()) {
                    return o; // the first error stands, as upstream keeps err when the fallback fails
                }
                events.warning(EventTarget.pod(pod), LIFECYCLE_HTTP_FALLBACK, "request to HTTPS lifecycle hook "
                        + url.getRawAuthority() + " got HTTP response, retry with HTTP succeeded");
                return retry;
            });
        }).thenApply(o -> o.passed() ? Optional.<String>empty() : Optional.of(o.output()));
    }

    /** Upstream runSleepHandler: done after the seconds, or an error when the wait is given up first. */
    private CompletableFuture<Optional<String>> sleep(long seconds, CompletionStage<?> cancelled) {
        CompletableFuture<Optional<String>> out = new CompletableFuture<>();
        try {
            var t = timer.schedule(() -> out.complete(Optional.empty()), seconds, TimeUnit.SECONDS);
            cancelled.whenComplete((v, e) -> {
                if (out.complete(Optional.of("container terminated before sleep hook finished"))) {
                    t.cancel(false);
                }
            });
        } catch (RejectedExecutionException e) {
            out.complete(Optional.of("container terminated before sleep hook finished"));
        }
        return out;
    }

    /** Go's {@code %v} of a []string: {@code [sh -c exit 1]}. */
    static String goList(List<String> items) {
        return "[" + String.join(" ", items) + "]";
    }
}
