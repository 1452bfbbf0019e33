package dev.skiff.kubelet.kuberuntime.actions;

import java.util.List;
import java.util.Map;

/**
 * What syncPod has to do for one pod, as upstream's kuberuntime podActions: computed from the spec and what
 * the runtime holds, then carried out in order (kill pod or containers, create sandbox, init containers,
 * app containers).
 *
 * <p>A pod that is killed ({@code killPod}) stops its app containers first and its sidecars (init containers with
 * {@code restartPolicy: Always}) last, in reverse spec order, as upstream's killContainersWithSyncResult; which
 * containers are sidecars the pod spec says ({@link #isSidecar}).
 *
 * @param killPod           stop every container and the sandbox (before recreating it when {@code createSandbox})
 * @param createSandbox     create a new sandbox
 * @param sandboxId         the sandbox to reuse, or the one being replaced; "" when none
 * @param attempt           the attempt number of the sandbox to create (the latest attempt + 1; 0 for the first)
 * @param sandboxReason     why the sandbox is (re)created ("no sandbox", "sandbox not ready", …); "" otherwise
 * @param initContainersToStart init containers to start, in spec order: the next one due (none while a regular
 *                          one runs, backs off, or failed the pod) and sidecars to restart (upstream
 *                          InitContainersToStart)
 * @param containersToStart app containers to start, in spec order
 * @param containersToKill  container id → what to kill and why, iteration in the order decided
 * @param waiting           container name → why it is not started although it should run (CrashLoopBackOff),
 *                          for the container's waiting state in the pod status
 */
public record PodActions(boolean killPod, boolean createSandbox, String sandboxId, int attempt, String sandboxReason,
                         List<ContainerToStart> initContainersToStart, List<ContainerToStart> containersToStart,
                         Map<String, ContainerToKill> containersToKill, Map<String, Waiting> waiting) {
    /** Upstream's waiting reason for a container held back by the restart back-off. */
    public static final String REASON_CRASH_LOOP_BACK_OFF = "CrashLoopBackOff";

    public PodActions {
        initContainersToStart = List.copyOf(initContainersToStart);
        containersToStart = List.copyOf(containersToStart);
        containersToKill = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(containersToKill));
        waiting = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(waiting));
    }

    /** True when nothing is to be done. */
    public boolean isNoop() {
        return !killPod && !createSandbox && initContainersToStart.isEmpty() && containersToStart.isEmpty()
                && containersToKill.isEmpty();
    }

    /** Init containers, then app containers: everything to start, in the order syncPod starts them. */
    public List<ContainerToStart> starts() {
        List<ContainerToStart> all = new java.util.ArrayList<>(initContainersToStart);
        all.addAll(containersToStart);
        return all;
    }

    /** Names of the init containers to start, in order (for logs and tests). */
    public List<String> initNamesToStart() {
        return initContainersToStart.stream().map(ContainerToStart::name).toList();
    }

    /** A sidecar: an init container with {@code restartPolicy: Always} (upstream IsRestartableInitContainer). */
    public static boolean isSidecar(io.fabric8.kubernetes.api.model.Container initContainer) {
        return "Always".equals(initContainer.getRestartPolicy());
    }

    /** Names of the app containers to start, in order (for logs and tests). */
    public List<String> namesToStart() {
        return containersToStart.stream().map(ContainerToStart::name).toList();
    }

    /**
     * A container to create and start.
     *
     * @param index        its index in {@code spec.containers} (or {@code spec.initContainers} when {@code init})
     * @param name         its name
     * @param init         an init container
     * @param sidecar      an init container with {@code restartPolicy: Always}: it keeps running, and one that cannot
     *                     start does not hold back the containers after it
     * @param reason       why it starts, for the log: "not found", "exited, restart policy Always", …
     * @param restartCount the restart count to write on the new container: previous + 1, or 0 for the first
     * @param backOffKey   when a previous instance exited: its CrashLoopBackOff key, and the caller records the
     *                     restart with {@link PodActionsCalculator#recordRestarts}; "" otherwise
     * @param finishedAt   when that previous instance finished; null when there is none
     */
    public record ContainerToStart(int index, String name, boolean init, boolean sidecar, String reason,
                                   int restartCount, String backOffKey, java.time.Instant finishedAt) {
        /** A previous instance exited: starting this one is a restart, subject to the back-off. */
        public boolean restart() {
            return !backOffKey.isEmpty();
        }

        /**
         * A regular init container: when it cannot be started, nothing after it is started in this sync (upstream
         * SyncPod returns); a sidecar that cannot start is skipped.
         */
        public boolean holdsBackLaterStarts() {
            return init && !sidecar;
        }
    }

    /**
     * A running (or unknown) container to stop.
     *
     * @param name    container name (from the CRI metadata)
     * @param message upstream's kill message, e.g. {@code Container app definition changed, will be restarted}
     * @param grace   the grace period when it is not the pod's: a failed probe's terminationGracePeriodSeconds;
     *                null otherwise
     */
    public record ContainerToKill(String name, String message, java.time.Duration grace) {
        public ContainerToKill(String name, String message) {
            this(name, message, null);
        }
    }

    /** A container's waiting reason and message, e.g. CrashLoopBackOff / back-off 20s restarting failed container=… */
    public record Waiting(String reason, String message) {}
}
