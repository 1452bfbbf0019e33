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
import dev.skiff.kubelet.worker.CrashLoopBackOff;
import io.fabric8.kubernetes.api.model.Pod;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

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
        return compute(pod, runtimePod, sandboxStatuses, containerStatuses, backoff, now, id -> Optional.empty());
    }

    /**
     * As above, and a running container whose liveness or startup probe failed is killed and, unless the restart
     * policy is Never, started again (upstream: {@code Container app failed liveness probe, will be restarted}).
     *
     * @param probeFailures container id → the probe (liveness or startup) that failed, if one did
     */
    public static PodActions compute(Pod pod, RuntimePod runtimePod, Map<String, PodSandboxStatus> sandboxStatuses,
                                     Map<String, ContainerStatus> containerStatuses, CrashLoopBackOff backoff,
                                     Instant now, Function<String, Optional<ProbeType>> probeFailures) {
        return new Computation(pod, runtimePod, sandboxStatuses, containerStatuses, backoff, now, probeFailures).run();
    }

    /** Records in the back-off each restart of {@code actions} that the caller has just carried out. */
    public static void recordRestarts(PodActions actions, CrashLoopBackOff backoff, Instant now) {
        actions.nextInitContainer().ifPresent(c -> record(c, backoff, now));
        for (ContainerToStart c : actions.containersToStart()) {
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
        private final Function<String, Optional<ProbeType>> probeFailures;
        private final String restartPolicy;

        private final Map<String, ContainerToKill> toKill = new LinkedHashMap<>();
        private final Map<String, Waiting> waiting = new LinkedHashMap<>();
        private final List<ContainerToStart> toStart = new ArrayList<>();
        private Optional<ContainerToStart> nextInit = Optional.empty();
        private boolean killPod;

        Computation(Pod pod, RuntimePod runtime, Map<String, PodSandboxStatus> sandboxStatuses,
                    Map<String, ContainerStatus> containerStatuses, CrashLoopBackOff backoff, Instant now,
                    Function<String, Optional<ProbeType>> probeFailures) {
            this.pod = pod;
            this.probeFailures = probeFailures;
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
            if (!initDone()) {
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
                                    "Container is in \"Unknown\" state, try killing it before restart"));
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
                Optional<ProbeType> failed = probeFailures.apply(running.container().getId());
                if (failed.isPresent()) {
                    killForProbe(i, spec, running, failed.get());
                    continue;
                }
                keep++;
            }
            if (keep == 0 && toStart.isEmpty() && waiting.isEmpty()) {
                killPod = true;
            }
            return actions(sandbox, false);
        }

        /**
         * A failed liveness or startup probe: kill, with the probe's terminationGracePeriodSeconds when set, and start
         * again unless the restart policy is Never (upstream shouldRestartOnFailure).
         */
        private void killForProbe(int index, io.fabric8.kubernetes.api.model.Container spec, Seen running,
                                  ProbeType type) {
            boolean restart = !restartPolicy.equals("Never");
            io.fabric8.kubernetes.api.model.Probe probe = type.of(spec);
            java.time.Duration grace = probe != null && probe.getTerminationGracePeriodSeconds() != null
                    ? java.time.Duration.ofSeconds(probe.getTerminationGracePeriodSeconds()) : null;
            String what = type == ProbeType.STARTUP ? "startup" : "liveness";
            toKill.put(running.container().getId(), new ContainerToKill(spec.getName(), "Container " + spec.getName()
                    + " failed " + what + " probe" + (restart ? ", will be restarted" : ""), grace));
            if (restart) {
                startOrWait(index, spec, false, "failed " + what + " probe", toStart::add);
            }
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
                startOrWait(0, inits.get(0), true, reason, c -> nextInit = Optional.of(c));
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
         * Upstream findNextInitContainerToRun plus its use in computePodActions; true when all init containers
         * are done (or there are none) and app containers may be looked at.
         */
        private boolean initDone() {
            List<io.fabric8.kubernetes.api.model.Container> inits = initContainers();
            if (inits.isEmpty()) {
                return true;
            }
            for (io.fabric8.kubernetes.api.model.Container c : specContainers()) {
                if (latest(c.getName()).map(s -> s.state() == ContainerState.CONTAINER_RUNNING).orElse(false)) {
                    return true; // an app container runs: initialization finished before
                }
            }
            // The last failed init container is retried (or fails the pod).
            for (int i = inits.size() - 1; i >= 0; i--) {
                Optional<Seen> s = latest(inits.get(i).getName());
                if (s.isPresent() && s.get().initFailed()) {
                    if (restartPolicy.equals("Never")) {
                        killPod = true;
                    } else {
                        if (s.get().state() == ContainerState.CONTAINER_UNKNOWN) {
                            toKill.put(s.get().container().getId(), new ContainerToKill(inits.get(i).getName(),
                                    "Init container is in \"Unknown\" state, try killing it before restart"));
                        }
                        startOrWait(i, inits.get(i), true, "init container failed, restart policy " + restartPolicy,
                                c -> nextInit = Optional.of(c));
                    }
                    return false;
                }
            }
            for (int i = inits.size() - 1; i >= 0; i--) {
                Optional<Seen> s = latest(inits.get(i).getName());
                if (s.isEmpty()) {
                    continue;
                }
                if (s.get().state() == ContainerState.CONTAINER_RUNNING) {
                    return false; // still initializing
                }
                if (s.get().state() == ContainerState.CONTAINER_EXITED) {
                    if (i == inits.size() - 1) {
                        return true;
                    }
                    startOrWait(i + 1, inits.get(i + 1), true, "not found", c -> nextInit = Optional.of(c));
                    return false;
                }
            }
            startOrWait(0, inits.get(0), true, "not found", c -> nextInit = Optional.of(c));
            return false;
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
            List<Container> all = runtime.containers(spec.getName());
            int restartCount = all.isEmpty() ? 0 : seen(all.get(0)).info().restartCount() + 1;
            Optional<Seen> exited = all.stream().map(this::seen)
                    .filter(s -> s.state() == ContainerState.CONTAINER_EXITED).findFirst();
            if (exited.isEmpty()) {
                sink.accept(new ContainerToStart(index, spec.getName(), init, reason, restartCount, "", null));
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
            sink.accept(new ContainerToStart(index, spec.getName(), init, reason, restartCount, key, finished));
        }

        private PodActions actions(SandboxCheck sandbox, boolean create) {
            return new PodActions(killPod, create, sandbox.sandboxId(), sandbox.attempt(), create ? sandbox.reason() : "",
                    nextInit, toStart, toKill, waiting);
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
