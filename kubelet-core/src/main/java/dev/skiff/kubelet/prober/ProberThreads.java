package dev.skiff.kubelet.prober;

import dev.skiff.cri.RuntimeService;
import dev.skiff.kubelet.events.EventRecorder;
import dev.skiff.kubelet.metrics.ProberMetrics;
import dev.skiff.kubelet.prober.probe.ExecProbe;
import dev.skiff.kubelet.prober.probe.GrpcProbe;
import dev.skiff.kubelet.prober.probe.HttpProbe;
import dev.skiff.kubelet.prober.probe.ProbeNetwork;
import dev.skiff.kubelet.prober.probe.TcpProbe;
import io.fabric8.kubernetes.api.model.PodStatus;

import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Builds the kubelet's {@link ProbeManager} with its threads, however many pods: {@code prober-0} (the schedule of
 * every probe), {@code prober-io-N} (one Netty event loop for httpGet, tcpSocket and grpc), and at most
 * {@value #EXEC_THREADS} {@code prober-exec-N} (CRI ExecSync blocks; idle ones end after a minute).
 */
public final class ProberThreads {
    /** Skiff speaks Kubernetes 1.32's APIs (its CRI schema): probes introduce themselves as that kubelet. */
    public static final String USER_AGENT = "kube-probe/1.32";
    static final int EXEC_THREADS = 4;

    private ProberThreads() {
    }

    public static ProbeManager start(RuntimeService runtime, Function<String, Optional<PodStatus>> statuses,
                                     EventRecorder events, Clock clock) {
        return startShared(runtime, statuses, events, clock, new ProberMetrics()).manager();
    }

    /** The probe manager and its Netty loop, which lifecycle hooks share; both end when the manager is closed. */
    public record Started(ProbeManager manager, ProbeNetwork network) {
    }

    /** @param metrics where the probes' results are counted ({@code /metrics/probes}) */
    public static Started startShared(RuntimeService runtime, Function<String, Optional<PodStatus>> statuses,
                                      EventRecorder events, Clock clock, ProberMetrics metrics) {
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, named("prober-"));
        scheduler.setRemoveOnCancelPolicy(true);
        ThreadPoolExecutor blocking = new ThreadPoolExecutor(EXEC_THREADS, EXEC_THREADS, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), named("prober-exec-"));
        blocking.allowCoreThreadTimeOut(true);
        ProbeNetwork net = new ProbeNetwork(blocking);
        Prober prober = new Prober(new ExecProbe(runtime, blocking), new HttpProbe(net, USER_AGENT), new TcpProbe(net),
                new GrpcProbe(net, USER_AGENT), events);
        return new Started(new ProbeManager(prober, statuses, scheduler, () -> {
            net.close();
            shutdown(blocking);
        }, clock, metrics), net);
    }

    private static void shutdown(ExecutorService pool) throws InterruptedException {
        pool.shutdownNow();
        pool.awaitTermination(5, TimeUnit.SECONDS);
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.getAndIncrement());
            t.setDaemon(true);
            return t;
        };
    }
}
