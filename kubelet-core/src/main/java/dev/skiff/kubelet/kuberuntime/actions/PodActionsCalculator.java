package dev.skiff.kubelet.kuberuntime.actions;

import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.ContainerStatus;
import dev.skiff.cri.v1.NamespaceMode;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.cri.v1.PodSandboxStatus;
import dev.skiff.kubelet.config.GoDuration;
import dev.skiff.kubelet.kuberuntime.KubeAnnotations;
import dev.skiff.kubelet.kuberuntime.actions.PodActions.ContainerToKill;
import dev.skiff.kubelet.kuberuntime.actions.PodActions.ContainerToStart;
import dev.skiff.kubelet.kuberuntime.actions.PodActions.Waiting;
import dev.skiff.kubelet.pleg.RuntimePod;
import dev.skiff.kubelet.pod.ContainerSpecHash;
import dev.skiff.kubelet.prober.ProbeType;
import dev.skiff.kubelet.prober.results.ProbeResult;
import dev.skiff.kubelet.worker.CrashLoopBackOff;
import io.fabric8.kubernetes.api.model.Pod;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Upstream's computePodActions: compares a pod's spec with what the runtime holds and says what syncPod must
 * do. Pure: it reads the back-off but never changes it; the caller records each restart it carries out with
 * {@link #recordRestarts} (upstream's doBackOff calls Next at that point too).
 *
 * <p>The runtime view is the PLEG's {@link RuntimePod} (CRI list results), refined where available by
 * {@code PodSandboxStatus}es (network namespace mode and IP, needed to notice a hostNetwork flip) and
 * {@code ContainerStatus}es (exit code and finish time, needed for OnFailure and the back-off). Without a
 * container's status its exit code counts as unknown (a failure, as upstream treats the unknown state) and its
 * creation time stands for its finish time.
 */
public final class PodActionsCalculator {
    private PodActionsCalculator() {}

    /** {@link #compute(Pod, RuntimePod, Map, Map, CrashLoopBackOff, Instant)} without sandbox statuses. */
    public static PodActions compute(Pod pod, RuntimePod runtimePod, Map<String, ContainerStatus> containerStatuses,
                                     CrashLoopBackOff backoff, Instant now) {
        return compute(pod, runtimePod, Map.of(), containerStatuses, backoff, now);
    }

    /**
     * @param runtimePod        the pod's sandboxes and containers, newest first; null or empty when none
     * @param sandboxStatuses   sandbox id → status, optional (may be empty)
     * @param containerStatuses container id → status, optional (may be empty)
     * @param backoff           the kubelet's container restart back-off (read only here)
     * @param now               the time the decision is made
     */
    public static PodActions compute(Pod pod, RuntimePod runtimePod, Map<String, PodSandboxStatus> sandboxStatuses,
                                     Map<String, ContainerStatus> containerStatuses, CrashLoopBackOff backoff,
                                     Instant now) {
        return compute(pod, runtimePod, sandboxStatuses, containerStatuses, backoff, now, ProbeResults.NONE);
    }

    /**
     * As above, with the prober's results: a running container whose liveness or startup probe failed is killed and,
     * unless the restart policy is Never (a sidecar: always), started again (upstream: {@code Container app failed
     * liveness probe, will be restarted}); a sidecar with a startup probe holds the next init container back until
     * the probe succeeds.
     *
     * @param probes the cached liveness and startup results per container instance
     */
    public static PodActions compute(Pod pod, RuntimePod runtimePod, Map<String, PodSandboxStatus> sandboxStatuses,
                                     Map<String, ContainerStatus> containerStatuses, CrashLoopBackOff backoff,
                                     Instant now, ProbeResults probes) {
        return new Computation(pod, runtimePod, sandboxStatuses, containerStatuses, backoff, now, probes).run();
    }

    /** Records in the back-off each restart of {@code actions} that the caller has just carried out. */
    public static void recordRestarts(PodActions actions, CrashLoopBackOff backoff, Instant now) {
        for (ContainerToStart c : actions.starts()) {
            record(c, backoff, now);
        }
    }

    /** Records one restart (for callers that start containers one by one and skip failed ones). */
    public static void record(ContainerToStart c, CrashLoopBackOff backoff, Instant now) {
        if (c.restart()) {
            backoff.next(c.backOffKey(), c.finishedAt(), now);
        }
    }

    /**
     * The back-off key of a container: pod uid, container name and spec hash (upstream's getStableKey also
     * includes the hash, so a changed spec starts with a fresh back-off). Keeps {@link CrashLoopBackOff#key}'s
     * uid prefix, so {@link CrashLoopBackOff#resetPod} forgets it.
     */
    public static String backOffKey(Pod pod, io.fabric8.kubernetes.api.model.Container container) {
        return CrashLoopBackOff.key(pod.getMetadata().getUid(), container.getName() + "_" + ContainerSpecHash.of(container));
    }

    /** Upstream's format.Pod: {@code name_namespace(uid)}. */
    static String formatPod(Pod pod) {
        return pod.getMetadata().getName() + "_" + pod.getMetadata().getNamespace() + "(" + pod.getMetadata().getUid() + ")";
    }

    /** One container instance as far as we know it. */
    private record Seen(Container container, ContainerState state, Optional<Integer> exitCode, Instant finishedAt,
                        String reason) {
        boolean exitedWith0() {
            return state == ContainerState.CONTAINER_EXITED && exitCode.isPresent() && exitCode.get() == 0;
        }

        /** Upstream isInitContainerFailed: OOMKilled, exited non-zero (or unknown code), or unknown state. */
        boolean initFailed() {
            if (reason.contains("OOMKilled")) {
                return true;
            }
            if (state == ContainerState.CONTAINER_EXITED) {
                return !exitedWith0();
            }
            return state == ContainerState.CONTAINER_UNKNOWN;
        }

        KubeAnnotations.ContainerInfo info() {
            return KubeAnnotations.ContainerInfo.from(container.getLabelsMap(), container.getAnnotationsMap());
        }
    }

    private record SandboxCheck(boolean changed, int attempt, String sandboxId, String reason) {}

    private static final class Computation {
        private final Pod pod;
        private final RuntimePod runtime;
        private final Map<String, PodSandboxStatus> sandboxStatuses;
        private final Map<String, ContainerStatus> containerStatuses;
        private final CrashLoopBackOff backoff;
        private final Instant now;
        private final ProbeResults probes;
        private final String restartPolicy;

        private final Map<String, ContainerToKill> toKill = new LinkedHashMap<>();
        private final Map<String, Waiting> waiting = new LinkedHashMap<>();
        private final List<ContainerToStart> toStart = new ArrayList<>();
        /** Init containers to start, in spec order (found walking the spec backwards, so added at the front). */
        private final Deque<ContainerToStart> initToStart = new ArrayDeque<>();
        private boolean killPod;

        Computation(Pod pod, RuntimePod runtime, Map<String, PodSandboxStatus> sandboxStatuses,
                    Map<String, ContainerStatus> containerStatuses, CrashLoopBackOff backoff, Instant now,
                    ProbeResults probes) {
            this.pod = pod;
            this.probes = probes;
            this.runtime = runtime != null ? runtime
                    : new RuntimePod(pod.getMetadata().getUid(), pod.getMetadata().getName(), pod.getMetadata().getNamespace(), List.of(), List.of());
            this.sandboxStatuses = sandboxStatuses == null ? Map.of() : sandboxStatuses;
            this.containerStatuses = containerStatuses == null ? Map.of() : containerStatuses;
            this.backoff = backoff;
            this.now = now;
            String rp = pod.getSpec().getRestartPolicy();
            this.restartPolicy = rp == null || rp.isEmpty() ? "Always" : rp;
        }

        PodActions run() {
            SandboxCheck sandbox = sandboxChanged();
            if (sandbox.changed()) {
                return newSandbox(sandbox);
            }
            killUnwanted();
            boolean initialized = initContainerActions();
            if (killPod || !initialized) {
                // Initialization failed or still in progress: app containers wait.
                return actions(sandbox, false);
            }
            int keep = 0;
            List<io.fabric8.kubernetes.api.model.Container> specs = specContainers();
            for (int i = 0; i < specs.size(); i++) {
                io.fabric8.kubernetes.api.model.Container spec = specs.get(i);
                Optional<Seen> latest = latest(spec.getName());
                if (latest.isEmpty() || latest.get().state() != ContainerState.CONTAINER_RUNNING) {
                    Optional<String> why = shouldRestart(latest);
                    if (why.isPresent()) {
                        startOrWait(i, spec, false, why.get(), toStart::add);
                        if (latest.isPresent() && latest.get().state() == ContainerState.CONTAINER_UNKNOWN) {
                            // Unknown may still run: kill before starting another, never two instances.
                            toKill.put(latest.get().container().getId(), new ContainerToKill(spec.getName(),
                                    "Container is in \"unknown\" state, try killing it before restart"));
                        }
                    }
                    continue;
                }
                Seen running = latest.get();
                String hash = running.info().hash();
                if (!hash.equals(ContainerSpecHash.of(spec))) {
                    // Restart regardless of the restart policy: the spec changed.
                    toKill.put(running.container().getId(), new ContainerToKill(spec.getName(),
                            "Container " + spec.getName() + " definition changed, will be restarted"));
                    startOrWait(i, spec, false, "spec hash changed", toStart::add);
                    continue;
                }
                Optional<ProbeType> failed = probeFailure(running.container().getId());
                if (failed.isPresent()) {
                    killForProbe(i, spec, running, failed.get());
                    continue;
                }
                keep++;
            }
            boolean appsToRun = !toStart.isEmpty() || specs.stream().anyMatch(c -> waiting.containsKey(c.getName()));
            if (keep == 0 && !appsToRun) {
                // Every app container is done for good: the pod is killed, and sidecars do not keep it alive (upstream
                // clears InitContainersToStart), so a Job-like pod completes although its sidecars would run on.
                killPod = true;
                initToStart.clear();
                initContainers().forEach(c -> waiting.remove(c.getName()));
            }
            return actions(sandbox, false);
        }

        /** The probe that failed on a running instance: liveness first, then startup (upstream's order). */
        private Optional<ProbeType> probeFailure(String containerId) {
            if (probes.failed(ProbeType.LIVENESS, containerId)) {
                return Optional.of(ProbeType.LIVENESS);
            }
            return probes.failed(ProbeType.STARTUP, containerId) ? Optional.of(ProbeType.STARTUP) : Optional.empty();
        }

        /**
         * A failed liveness or startup probe: kill, with the probe's terminationGracePeriodSeconds when set, and start
         * again unless the restart policy is Never (upstream shouldRestartOnFailure).
         */
        private void killForProbe(int index, io.fabric8.kubernetes.api.model.Container spec, Seen running,
                                  ProbeType type) {
            boolean restart = !restartPolicy.equals("Never");
            java.time.Duration grace = terminationGrace(type.of(spec));
            String what = type == ProbeType.STARTUP ? "startup" : "liveness";
            toKill.put(running.container().getId(), new ContainerToKill(spec.getName(), "Container " + spec.getName()
                    + " failed " + what + " probe" + (restart ? ", will be restarted" : ""), grace));
            if (restart) {
                startOrWait(index, spec, false, "failed " + what + " probe", toStart::add);
            }
        }

        /** A probe's own terminationGracePeriodSeconds, which replaces the pod's for the kill it causes; null if unset. */
        private static java.time.Duration terminationGrace(io.fabric8.kubernetes.api.model.Probe probe) {
            return probe != null && probe.getTerminationGracePeriodSeconds() != null
                    ? java.time.Duration.ofSeconds(probe.getTerminationGracePeriodSeconds()) : null;
        }

        /** Upstream podSandboxChanged. */
        private SandboxCheck sandboxChanged() {
            List<PodSandbox> sandboxes = runtime.sandboxes();
            if (sandboxes.isEmpty()) {
                return new SandboxCheck(true, 0, "", "no sandbox");
            }
            PodSandbox latest = sandboxes.get(0);
            int next = latest.getMetadata().getAttempt() + 1;
            long ready = sandboxes.stream().filter(s -> s.getState() == PodSandboxState.SANDBOX_READY).count();
            if (ready > 1) {
                return new SandboxCheck(true, next, latest.getId(), "more than one ready sandbox");
            }
            if (latest.getState() != PodSandboxState.SANDBOX_READY) {
                return new SandboxCheck(true, next, latest.getId(), "sandbox not ready");
            }
            PodSandboxStatus status = sandboxStatuses.get(latest.getId());
            if (status != null) {
                NamespaceMode want = hostNetwork() ? NamespaceMode.NODE : NamespaceMode.POD;
                if (status.getLinux().getNamespaces().getOptions().getNetwork() != want) {
                    return new SandboxCheck(true, next, "", "sandbox network namespace changed");
                }
                if (!hostNetwork() && status.hasNetwork() && status.getNetwork().getIp().isEmpty()) {
                    return new SandboxCheck(true, next, latest.getId(), "sandbox has no IP address");
                }
            }
            return new SandboxCheck(false, latest.getMetadata().getAttempt(), latest.getId(), "");
        }

        /** The sandbox is (re)created: everything is killed, then containers start as after a pod start. */
        private PodActions newSandbox(SandboxCheck sandbox) {
            killPod = true;
            if (restartPolicy.equals("Never") && sandbox.attempt() != 0 && !runtime.containers().isEmpty()) {
                // Everything ran once and must not run again: no new sandbox, just make sure the old one is down.
                return actions(sandbox, false);
            }
            List<Integer> indices = new ArrayList<>();
            List<io.fabric8.kubernetes.api.model.Container> specs = specContainers();
            for (int i = 0; i < specs.size(); i++) {
                if (restartPolicy.equals("OnFailure") && latest(specs.get(i).getName()).map(Seen::exitedWith0).orElse(false)) {
                    continue;
                }
                indices.add(i);
            }
            if (indices.isEmpty()) {
                return actions(sandbox, false);
            }
            String reason = "new sandbox (" + sandbox.reason() + ")";
            List<io.fabric8.kubernetes.api.model.Container> inits = initContainers();
            if (!inits.isEmpty()) {
                startOrWait(0, inits.get(0), true, reason, initToStart::addFirst);
                return actions(sandbox, true);
            }
            for (int i : indices) {
                startOrWait(i, specs.get(i), false, reason, toStart::add);
            }
            return actions(sandbox, true);
        }

        /** Running containers the spec does not name, and running older instances of a named one. */
        private void killUnwanted() {
            Set<String> names = new HashSet<>();
            specContainers().forEach(c -> names.add(c.getName()));
            initContainers().forEach(c -> names.add(c.getName()));
            for (Container c : runtime.containers()) {
                if (c.getState() != ContainerState.CONTAINER_RUNNING) {
                    continue;
                }
                String name = c.getMetadata().getName();
                if (!names.contains(name)) {
                    toKill.put(c.getId(), new ContainerToKill(name, "Container " + name + " is not in the pod spec"));
                } else if (!runtime.latestContainer(name).map(l -> l.getId().equals(c.getId())).orElse(true)) {
                    toKill.put(c.getId(), new ContainerToKill(name, "Container " + name + " has a newer instance"));
                }
            }
        }

        /**
         * Upstream computeInitContainerActions (SidecarContainers): which init containers to start (the next one in
         * order, sidecars to restart) and which to kill; true when the pod has initialized and app containers may be
         * looked at. A regular init container must exit 0 before the next one starts and is retried per the pod's
         * restartPolicy (Never: the pod is killed); a sidecar counts as done once it runs and its startup probe, if
         * any, has succeeded, and is restarted whatever the pod's restartPolicy. The spec is walked backwards, as
         * upstream does, because finished init containers may have been removed from the runtime since.
         */
        private boolean initContainerActions() {
            List<io.fabric8.kubernetes.api.model.Container> inits = initContainers();
            if (inits.isEmpty()) {
                return true;
            }
            // An app container created or running proves the init containers ran before (they may be gone since);
            // an exited one does not: after a reboot everything has exited and the new sandbox must initialize again.
            boolean podHasInitialized = specContainers().stream().anyMatch(c -> latest(c.getName())
                    .map(s -> s.state() == ContainerState.CONTAINER_CREATED || s.state() == ContainerState.CONTAINER_RUNNING)
                    .orElse(false));
            boolean previouslyInitialized = podHasInitialized;
            boolean restartOnFailure = !restartPolicy.equals("Never");
            int last = inits.size() - 1;
            for (int i = last; i >= 0; i--) {
                io.fabric8.kubernetes.api.model.Container spec = inits.get(i);
                boolean sidecar = PodActions.isSidecar(spec);
                Optional<Seen> latest = latest(spec.getName());
                if (latest.isEmpty()) {
                    if (previouslyInitialized && sidecar) {
                        startInit(i, "not found");
                    }
                    continue;
                }
                if (previouslyInitialized && !sidecar) {
                    continue; // after initialization only sidecars are kept running
                }
                Seen s = latest.get();
                switch (s.state()) {
                    case CONTAINER_CREATED -> startInit(i, "created but not started");
                    case CONTAINER_RUNNING -> {
                        if (!sidecar || !sidecarStarted(i, spec, s)) {
                            break; // a regular init container runs to completion; a sidecar must start first
                        }
                        if (i == last) {
                            podHasInitialized = true;
                        } else if (!previouslyInitialized) {
                            startInit(i + 1, "sidecar " + spec.getName() + " started");
                        }
                        keepSidecarRunning(i, spec, s);
                    }
                    case CONTAINER_EXITED -> {
                        if (sidecar) {
                            startInit(i, "sidecar exited, restart policy Always");
                        } else if (s.initFailed()) {
                            if (!restartOnFailure) {
                                return failInitialization();
                            }
                            startInit(i, "init container failed, restart policy " + restartPolicy);
                        } else if (i == last) {
                            podHasInitialized = true;
                        } else {
                            startInit(i + 1, "init container " + spec.getName() + " completed");
                        }
                    }
                    default -> {
                        if (!sidecar && !restartOnFailure) {
                            return failInitialization();
                        }
                        toKill.put(s.container().getId(), new ContainerToKill(spec.getName(),
                                "Init container is in \"unknown\" state, try killing it before restart"));
                        startInit(i, "in unknown state");
                    }
                }
                previouslyInitialized = true;
            }
            if (!previouslyInitialized) {
                startInit(0, "not found"); // no init container has run yet
            }
            return podHasInitialized;
        }

        /**
         * A running sidecar is started once its startup probe (if it has one) succeeded; one whose startup probe failed
         * is killed and started again.
         */
        private boolean sidecarStarted(int index, io.fabric8.kubernetes.api.model.Container spec, Seen running) {
            if (spec.getStartupProbe() == null) {
                return true;
            }
            String id = running.container().getId();
            Optional<ProbeResult> startup = probes.get(ProbeType.STARTUP, id);
            if (startup.isPresent() && startup.get() == ProbeResult.FAILURE) {
                toKill.put(id, new ContainerToKill(spec.getName(), "Init container " + spec.getName()
                        + " failed startup probe", terminationGrace(spec.getStartupProbe())));
                startInit(index, "failed startup probe");
            }
            return startup.isPresent() && startup.get() == ProbeResult.SUCCESS;
        }

        /** A started sidecar is replaced when its spec changed, and restarted when its liveness probe failed. */
        private void keepSidecarRunning(int index, io.fabric8.kubernetes.api.model.Container spec, Seen running) {
            String id = running.container().getId();
            if (!running.info().hash().equals(ContainerSpecHash.of(spec))) {
                toKill.put(id, new ContainerToKill(spec.getName(), "Init container " + spec.getName()
                        + " definition changed"));
                startInit(index, "spec hash changed");
            } else if (probes.failed(ProbeType.LIVENESS, id)) {
                toKill.put(id, new ContainerToKill(spec.getName(), "Init container " + spec.getName()
                        + " failed liveness probe", terminationGrace(spec.getLivenessProbe())));
                startInit(index, "failed liveness probe");
            }
        }

        /** A regular init container failed under restartPolicy Never: the pod is killed and nothing more starts. */
        private boolean failInitialization() {
            killPod = true;
            initToStart.clear();
            return false;
        }

        private void startInit(int index, String reason) {
            startOrWait(index, initContainers().get(index), true, reason, initToStart::addFirst);
        }

        /** Upstream ShouldContainerBeRestarted: the reason to start, or empty to leave it be. */
        private Optional<String> shouldRestart(Optional<Seen> latest) {
            if (pod.getMetadata().getDeletionTimestamp() != null) {
                return Optional.empty();
            }
            if (latest.isEmpty()) {
                return Optional.of("not found");
            }
            Seen s = latest.get();
            switch (s.state()) {
                case CONTAINER_RUNNING:
                    return Optional.empty();
                case CONTAINER_CREATED:
                    return Optional.of("created but not started");
                case CONTAINER_EXITED:
                    break;
                default:
                    return Optional.of("in unknown state");
            }
            if (restartPolicy.equals("Never")) {
                return Optional.empty();
            }
            if (restartPolicy.equals("OnFailure")) {
                if (s.exitedWith0()) {
                    return Optional.empty();
                }
                return Optional.of("exited with " + s.exitCode().map(String::valueOf).orElse("unknown code")
                        + ", restart policy OnFailure");
            }
            return Optional.of("exited, restart policy Always");
        }

        /** Queues a start, or records CrashLoopBackOff when the latest exited instance is still backing off. */
        private void startOrWait(int index, io.fabric8.kubernetes.api.model.Container spec, boolean init, String reason,
                                 java.util.function.Consumer<ContainerToStart> sink) {
            boolean sidecar = init && PodActions.isSidecar(spec);
            List<Container> all = runtime.containers(spec.getName());
            int restartCount = all.isEmpty() ? 0 : seen(all.get(0)).info().restartCount() + 1;
            Optional<Seen> exited = all.stream().map(this::seen)
                    .filter(s -> s.state() == ContainerState.CONTAINER_EXITED).findFirst();
            if (exited.isEmpty()) {
                sink.accept(new ContainerToStart(index, spec.getName(), init, sidecar, reason, restartCount, "", null));
                return;
            }
            String key = backOffKey(pod, spec);
            Instant finished = exited.get().finishedAt();
            if (backoff.isInBackOffSince(key, finished, now)) {
                waiting.put(spec.getName(), new Waiting(PodActions.REASON_CRASH_LOOP_BACK_OFF,
                        "back-off " + GoDuration.format(backoff.get(key)) + " restarting failed container="
                                + spec.getName() + " pod=" + formatPod(pod)));
                return;
            }
            sink.accept(new ContainerToStart(index, spec.getName(), init, sidecar, reason, restartCount, key, finished));
        }

        private PodActions actions(SandboxCheck sandbox, boolean create) {
            return new PodActions(killPod, create, sandbox.sandboxId(), sandbox.attempt(), create ? sandbox.reason() : "",
                    List.copyOf(initToStart), toStart, toKill, waiting);
        }

        private Optional<Seen> latest(String name) {
            return runtime.latestContainer(name).map(this::seen);
        }

        private Seen seen(Container c) {
            ContainerStatus st = containerStatuses.get(c.getId());
            if (st == null) {
                return new Seen(c, c.getState(), Optional.empty(), nanos(c.getCreatedAt()), "");
            }
            boolean exited = st.getState() == ContainerState.CONTAINER_EXITED;
            Instant finished = st.getFinishedAt() > 0 ? nanos(st.getFinishedAt()) : nanos(c.getCreatedAt());
            return new Seen(c, st.getState(), exited ? Optional.of(st.getExitCode()) : Optional.empty(), finished,
                    st.getReason());
        }

        private boolean hostNetwork() {
            return Boolean.TRUE.equals(pod.getSpec().getHostNetwork());
        }

        private List<io.fabric8.kubernetes.api.model.Container> specContainers() {
            return pod.getSpec().getContainers() == null ? List.of() : pod.getSpec().getContainers();
        }

        private List<io.fabric8.kubernetes.api.model.Container> initContainers() {
            return pod.getSpec().getInitContainers() == null ? List.of() : pod.getSpec().getInitContainers();
        }

        private static Instant nanos(long epochNanos) {
            return Instant.ofEpochSecond(0, epochNanos);
        }
    }
}
