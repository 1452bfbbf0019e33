package dev.skiff.kubelet.lifecycle;

import dev.skiff.cri.RuntimeService;
import dev.skiff.kubelet.events.EventRecorder;
import dev.skiff.kubelet.prober.probe.HttpProbe;
import dev.skiff.kubelet.prober.probe.ProbeNetwork;
import dev.skiff.kubelet.worker.ElasticPool;

import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The threads of lifecycle hooks and kill deadlines, however many pods: {@code lifecycle-timer} (sleep hooks, grace
 * period deadlines) and up to {@value #EXEC_THREADS} {@code lifecycle-exec-N} while exec hooks run (CRI ExecSync
 * blocks; idle ones end after 30 s). httpGet hooks use the probes' Netty loop.
 */
public final class LifecycleThreads implements AutoCloseable {
    static final int EXEC_THREADS = 128;

    private final ScheduledThreadPoolExecutor timer;
    private final ThreadPoolExecutor exec;
    private final HookRunner hooks;

    public LifecycleThreads(RuntimeService runtime, ProbeNetwork network, EventRecorder events) {
        this.timer = new ScheduledThreadPoolExecutor(1, ElasticPool.named("lifecycle-timer-"));
        timer.setRemoveOnCancelPolicy(true);
        this.exec = ElasticPool.create("lifecycle-exec-", EXEC_THREADS, Duration.ofSeconds(30));
        this.hooks = new HookRunner(runtime, exec, new HttpProbe(network, HookRunner.USER_AGENT), timer, events);
    }

    public HookRunner hooks() {
        return hooks;
    }

    /** For deadlines: one thread, never blocked. */
    public ScheduledThreadPoolExecutor timer() {
        return timer;
    }

    @Override
    public void close() throws InterruptedException {
        timer.shutdownNow();
        exec.shutdownNow();
        exec.awaitTermination(5, TimeUnit.SECONDS);
    }
}
