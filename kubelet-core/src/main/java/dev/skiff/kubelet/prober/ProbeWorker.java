package dev.skiff.kubelet.prober;

import dev.skiff.kubelet.metrics.ProberMetrics;
import dev.skiff.kubelet.prober.results.ProbeResult;
import dev.skiff.kubelet.prober.results.ResultsManager;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Probe;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;

/**
 * The state of one probe of one container, as upstream's prober worker.go keeps it: which container instance it
 * probes, the run of equal results against the thresholds, and whether it is on hold after a liveness or startup
 * failure until a new instance appears. It holds no thread: the manager's scheduler calls {@link #decide} every
 * period, and the probe's completion calls {@link #record}. Thread-safe.
 */
final class ProbeWorker {
    /** What a tick decided. */
    sealed interface Step permits Stop, Wait, Run {
    }

    /** The worker is done: the pod finished, or its container will not run again. */
    record Stop(String why) implements Step {
    }

    /** Nothing to probe this period. */
    record Wait() implements Step {
    }

    /** Probe container {@code containerId} now. */
    record Run(PodStatus status, String containerId) implements Step {
    }

    private static final Wait WAIT = new Wait();

    private final Pod pod;
    private final Container container;
    private final ProbeType type;
    private final Probe spec;
    private final ResultsManager results;
    private final ProbeResult initialValue;
    private final ProberMetrics.Series metrics;

    private String containerId = "";
    private ProbeResult lastResult = ProbeResult.UNKNOWN;
    private int resultRun;
    private boolean onHold;
    private boolean inFlight;
    private boolean stopped;
    private String lastError;
    /** The running container's startedAt as last seen, and parsed. */
    private String startedAtText;
    private Instant startedAtParsed;
    /** The last result set repeated the one before it (see {@link #lastResultRepeated}). */
    private boolean repeated;

    ProbeWorker(Pod pod, Container container, ProbeType type, ResultsManager results) {
        this(pod, container, type, results, new ProberMetrics());
    }

    /** @param metrics where prober_probe_total and prober_probe_duration_seconds of this probe go */
    ProbeWorker(Pod pod, Container container, ProbeType type, ResultsManager results, ProberMetrics metrics) {
        this.pod = pod;
        this.metrics = metrics.series(type.toString(), pod.getMetadata().getNamespace(), pod.getMetadata().getName(),
                pod.getMetadata().getUid(), container.getName());
        this.container = container;
        this.type = type;
        this.spec = type.of(container);
        this.results = results;
        // upstream: not ready until proven, alive until proven dead, started unknown
        this.initialValue = switch (type) {
            case READINESS -> ProbeResult.FAILURE;
            case LIVENESS -> ProbeResult.SUCCESS;
            case STARTUP -> ProbeResult.UNKNOWN;
        };
    }

    Pod pod() {
        return pod;
    }

    Container container() {
        return container;
    }

    ProbeType type() {
        return type;
    }

    /** Validation allows a container's own restartPolicy (Always) only on init containers: sidecars. */
    private boolean isSidecar() {
        return "Always".equals(container.getRestartPolicy());
    }

    Duration period() {
        return Duration.ofSeconds(spec.getPeriodSeconds() == null || spec.getPeriodSeconds() <= 0 ? 10
                : spec.getPeriodSeconds());
    }

    /** Upstream doProbe up to the probe itself, given the pod's latest status (null: none yet). */
    synchronized Step decide(Instant now, PodStatus status) {
        if (stopped) {
            return new Stop("stopped");
        }
        if (status == null) {
            return WAIT; // not created yet, or already gone
        }
        if ("Failed".equals(status.getPhase()) || "Succeeded".equals(status.getPhase())) {
            return new Stop("pod is terminated");
        }
        Optional<ContainerStatus> found = find(status.getContainerStatuses())
                .or(() -> find(status.getInitContainerStatuses()));
        if (found.isEmpty()) {
            return WAIT; // the container has not been created yet, or was deleted
        }
        ContainerStatus c = found.get();
        String id = rawId(c.getContainerID());
        if (!id.equals(containerId)) {
            if (!containerId.isEmpty()) {
                results.remove(containerId);
            }
            containerId = id;
            results.set(id, initialValue, "", uid());
            onHold = false; // a new instance: probe again
        }
        if (onHold) {
            return WAIT;
        }
        if (c.getState() == null || c.getState().getRunning() == null) {
            results.set(containerId, ProbeResult.FAILURE, "", uid());
            // a sidecar (init container with restartPolicy Always) is restarted whatever the pod's policy
            boolean willRestart = c.getState() == null || c.getState().getTerminated() == null
                    || !"Never".equals(pod.getSpec().getRestartPolicy()) || isSidecar();
            return willRestart ? WAIT : new Stop("container terminated and will not restart");
        }
        if (initialDelaySeconds() > 0 && secondsSince(c.getState().getRunning().getStartedAt(), now) < initialDelaySeconds()) {
            return WAIT;
        }
        boolean started = Boolean.TRUE.equals(c.getStarted());
        if (started == (type == ProbeType.STARTUP)) {
            // a started container needs no startup probe; the others wait for the start
            return WAIT;
        }
        if (inFlight) {
            return WAIT; // a slow probe: this period's tick is dropped, as a Go ticker drops it
        }
        inFlight = true;
        return new Run(status, containerId);
    }

    /**
     * The probe of {@code probedId} passed or failed after {@code nanos}. Counts it in the probe metrics, counts the
     * run of equal results and, at the threshold, sets the cached result. Returns the result set, if any.
     */
    synchronized Optional<ProbeResult> record(String probedId, boolean passed, String output, long nanos) {
        inFlight = false;
        lastError = null;
        if (!stopped) { // a stopped worker's series are gone and stay gone
            if (passed) {
                metrics.succeeded(nanos);
            } else {
                metrics.failed();
            }
        }
        if (stopped || !probedId.equals(containerId) || onHold) {
            return Optional.empty(); // stale: the container changed or the worker stopped meanwhile
        }
        ProbeResult result = passed ? ProbeResult.SUCCESS : ProbeResult.FAILURE;
        if (lastResult == result) {
            resultRun++;
        } else {
            lastResult = result;
            resultRun = 1;
        }
        if ((result == ProbeResult.FAILURE && resultRun < threshold(spec.getFailureThreshold(), 3))
                || (result == ProbeResult.SUCCESS && resultRun < threshold(spec.getSuccessThreshold(), 1))) {
            return Optional.empty();
        }
        results.set(containerId, result, output, uid());
        repeated = resultRun > threshold(result == ProbeResult.FAILURE ? spec.getFailureThreshold()
                : spec.getSuccessThreshold(), result == ProbeResult.FAILURE ? 3 : 1);
        if (result == ProbeResult.FAILURE && type != ProbeType.READINESS) {
            // the container will be killed: probe no more until a new instance appears
            onHold = true;
            resultRun = 0;
        }
        return Optional.of(result);
    }

    /**
     * Whether the last {@link #record} that set a result only repeated the one set before (a readiness probe still
     * failing): worth a debug line, not an info line every period.
     */
    synchronized boolean lastResultRepeated() {
        return repeated;
    }

    /**
     * The probe could not run: its result is thrown away, as upstream does. Returns true when the reason differs
     * from the previous run's, so a lasting error is logged once, not every period.
     */
    synchronized boolean errored(String why) {
        inFlight = false;
        boolean changed = !why.equals(lastError);
        lastError = why;
        return changed;
    }

    /** Stops the worker and forgets its cached result. */
    synchronized void stop() {
        stopped = true;
        metrics.remove();
        if (!containerId.isEmpty()) {
            results.remove(containerId);
        }
    }

    synchronized String containerId() {
        return containerId;
    }

    private String uid() {
        return pod.getMetadata().getUid();
    }

    private int initialDelaySeconds() {
        return spec.getInitialDelaySeconds() == null ? 0 : spec.getInitialDelaySeconds();
    }

    private static int threshold(Integer value, int byDefault) {
        return value == null || value <= 0 ? byDefault : value;
    }

    private Optional<ContainerStatus> find(List<ContainerStatus> statuses) {
        if (statuses == null) {
            return Optional.empty();
        }
        return statuses.stream().filter(s -> container.getName().equals(s.getName()))
                .filter(s -> s.getContainerID() != null && !s.getContainerID().isEmpty()).findFirst();
    }

    /** Upstream truncates to whole seconds; an unknown start time never holds the probe back. */
    /** Seconds since {@code startedAt}; the text is parsed once per container instance, not every tick. */
    private long secondsSince(String startedAt, Instant now) {
        if (startedAt == null || startedAt.isEmpty()) {
            return Long.MAX_VALUE;
        }
        if (!startedAt.equals(startedAtText)) {
            try {
                startedAtParsed = Instant.parse(startedAt);
            } catch (DateTimeParseException e) {
                startedAtParsed = null;
            }
            startedAtText = startedAt;
        }
        return startedAtParsed == null ? Long.MAX_VALUE : Duration.between(startedAtParsed, now).toSeconds();
    }

    /** {@code docker://abc} → {@code abc}: results are kept by the CRI id. */
    static String rawId(String containerId) {
        int i = containerId.indexOf("://");
        return i < 0 ? containerId : containerId.substring(i + 3);
    }
}
