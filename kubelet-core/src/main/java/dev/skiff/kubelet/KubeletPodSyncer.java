package dev.skiff.kubelet;

import dev.skiff.cri.v1.ContainerStatus;
import dev.skiff.cri.v1.PodSandboxStatus;
import dev.skiff.kubelet.kuberuntime.NodeFacts;
import dev.skiff.kubelet.kuberuntime.SandboxConfigFactory;
import dev.skiff.kubelet.kuberuntime.actions.PodActions;
import dev.skiff.kubelet.kuberuntime.actions.PodActionsCalculator;
import dev.skiff.kubelet.kuberuntime.manager.KubeRuntimeManager;
import dev.skiff.kubelet.kuberuntime.manager.PodRef;
import dev.skiff.kubelet.kuberuntime.manager.RuntimePods;
import dev.skiff.kubelet.metrics.KubeletMetrics;
import dev.skiff.kubelet.pod.StaticPods;
import dev.skiff.kubelet.pleg.RuntimePod;
import dev.skiff.kubelet.prober.ProbeManager;
import dev.skiff.kubelet.status.ContainerWaiting;
import dev.skiff.kubelet.status.CriPodView;
import dev.skiff.kubelet.status.CriPodViewLoader;
import dev.skiff.kubelet.status.PodStatusGenerator;
import dev.skiff.kubelet.status.PodStatusRequest;
import dev.skiff.kubelet.status.StatusManager;
import dev.skiff.kubelet.events.EventRecorder;
import dev.skiff.kubelet.events.EventTarget;
import dev.skiff.kubelet.events.Reasons;
import dev.skiff.kubelet.status.TerminationMessages;
import dev.skiff.kubelet.worker.CrashLoopBackOff;
import dev.skiff.kubelet.worker.PodSyncer;
import dev.skiff.kubelet.worker.SyncContext;
import dev.skiff.kubelet.worker.UpdateType;
import dev.skiff.volume.VolumeException;
import dev.skiff.volume.VolumeManager;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The kubelet's syncPod, syncTerminatingPod and syncTerminatedPod (upstream kubelet.go), run by the pod
 * workers one at a time per pod: read the pod's runtime state, compute and carry out its actions, record its
 * status, and plan its next sync. What the actions wait for (kills, pulls, hooks) is returned as a stage; the status
 * is written once it completes.
 */
final class KubeletPodSyncer implements PodSyncer<Pod> {
    private static final Logger log = LoggerFactory.getLogger(KubeletPodSyncer.class);
    /** The pod status reason while its volumes cannot be set up (upstream's event reason). */
    static final String FAILED_MOUNT = "FailedMount";
    /** How long syncTerminatedPod waits for the volumes to be torn down before it retries. */
    static final Duration WAIT_FOR_UNMOUNT = Duration.ofSeconds(30);
    /** Upstream backOffPeriod: how soon a pod whose containers cannot start is looked at again. */
    static final Duration ERROR_RESYNC = Duration.ofSeconds(10);
    /** A sync planned for a back-off's end lands just after it. */
    private static final Duration BACKOFF_MARGIN = Duration.ofMillis(50);

    private final RuntimePods runtimePods;
    private final CriPodViewLoader views;
    private final KubeRuntimeManager manager;
    private final CrashLoopBackOff backoff;
    private final PodStatusGenerator generator = new PodStatusGenerator();
    private final StatusManager statuses;
    private final NodeFacts node;
    private final String runtimeName;
    private final PodManager pods;
    private final WorkQueue queue;
    private final Duration resync;
    private final PodDirs dirs;
    private final VolumeManager volumes;
    private final ProbeManager probes;
    private final Clock clock;
    private final EventRecorder events;
    private final KubeletMetrics metrics;

    KubeletPodSyncer(RuntimePods runtimePods, CriPodViewLoader views, KubeRuntimeManager manager, CrashLoopBackOff backoff,
                     StatusManager statuses, NodeFacts node, String runtimeName, PodManager pods, WorkQueue queue,
                     Duration resync, PodDirs dirs, VolumeManager volumes, ProbeManager probes, Clock clock,
                     EventRecorder events, KubeletMetrics metrics) {
        this.events = events;
        this.metrics = metrics;
        this.runtimePods = runtimePods;
        this.views = views;
        this.manager = manager;
        this.backoff = backoff;
        this.statuses = statuses;
        this.node = node;
        this.runtimeName = runtimeName;
        this.pods = pods;
        this.queue = queue;
        this.resync = resync;
        this.dirs = dirs;
        this.volumes = volumes;
        this.probes = probes;
        this.clock = clock;
    }

    @Override
    public CompletionStage<Boolean> syncPod(Pod pod, UpdateType updateType, SyncContext ctx) throws Exception {
        if (!waitForVolumes(pod)) {
            return CompletableFuture.completedFuture(false);
        }
        probes.addPod(pod); // upstream: the pod is probed from its first sync on
        RuntimePod runtimePod = list(pod);
        CriPodView loaded = views.load(runtimePod);
        Instant now = clock.instant();
        PodActions actions = PodActionsCalculator.compute(pod, runtimePod, sandboxStatuses(loaded), containerStatuses(loaded),
                backoff, now, probes::result);
        actions.containersToKill().keySet().forEach(id -> probes.recordKill(uid(pod), id));
        return ctx.then(manager.syncPod(pod, runtimePod, loaded, actions, ctx), result -> {
            Map<String, ContainerWaiting> waiting = result.waiting();
            manager.prune(pod, runtimePod);
            CriPodView view = loaded;
            if (!actions.isNoop()) {
                // Fresh statuses of everything the pod now holds: what was listed plus what this sync created (this
                // worker is the only one acting on the uid). Listed again when a failed create leaves that unknown.
                view = result.createdKnown()
                        ? views.load(result.latestSandbox(runtimePod), result.containerIds(runtimePod))
                        : views.load(list(pod));
            }
            PodStatus status = setStatus(pod, view, waiting, false);
            queue.enqueue(uid(pod), clock.instant(), nextSync(pod, view, waiting, clock.instant()));
            return StatusManager.isTerminal(status.getPhase());
        });
    }

    /**
     * Upstream WaitForAttachAndMount before any container starts. When the volumes cannot be set up the pod stays
     * Pending with reason FailedMount and a message naming the volume and the cause, and is synced again after the
     * error back-off. Returns false then.
     */
    private boolean waitForVolumes(Pod pod) throws InterruptedException {
        String uid = uid(pod);
        try {
            volumes.waitForAttachAndMount(pod, VolumeManager.WAIT_FOR_ATTACH_AND_MOUNT, () -> !pods.isDesired(uid));
            return true;
        } catch (VolumeException e) {
            log.warn("pod {}: {}: {}", PodRef.of(pod), FAILED_MOUNT, e.getMessage());
            events.warning(EventTarget.pod(pod), Reasons.FAILED_MOUNT, e.getMessage());
            PodStatus status = generate(pod, views.load(list(pod)), Map.of(), false);
            if (status.getPhase().equals("Pending")) {
                status.setReason(FAILED_MOUNT);
                status.setMessage(e.getMessage());
            }
            statuses.setPodStatus(pod, status);
            queue.enqueue(uid, clock.instant(), ERROR_RESYNC);
            return false;
        }
    }

    @Override
    public CompletionStage<Void> syncTerminatingPod(Pod pod, Duration gracePeriod, SyncContext ctx) {
        queue.forget(uid(pod));
        probes.stopLivenessAndStartup(pod); // a terminating pod is not restarted by its probes
        return ctx.then(manager.killPod(pod, list(pod), gracePeriod), v -> {
            probes.removePod(pod);
            RuntimePod after = list(pod);
            if (after.anythingRunning()) {
                throw new IllegalStateException("pod " + PodRef.of(pod) + " still has running containers after being killed");
            }
            volumes.podsChanged(); // its containers are stopped: its volumes may go
            if (pods.isDesired(uid(pod))) {
                setStatus(pod, views.load(after), Map.of(), true);
            }
            return null;
        });
    }

    @Override
    public void syncTerminatedPod(Pod pod) throws Exception {
        String uid = uid(pod);
        if (pods.isDesired(uid)) {
            // a pod that completed stays, with its containers for their logs, until its manifest goes
            setStatus(pod, views.load(list(pod)), Map.of(), true);
            return;
        }
        String podRef = PodRef.of(pod);
        probes.removePod(pod);
        // upstream WaitForUnmount: nothing of the pod's directory goes while a volume is still set up in it
        volumes.waitForUnmount(uid, WAIT_FOR_UNMOUNT);
        if (!manager.removePod(pod, list(pod))) {
            throw new IllegalStateException("pod " + podRef + ": not all containers and sandboxes could be removed");
        }
        if (pod.getMetadata().getName() != null && !pod.getMetadata().getName().isEmpty()) {
            dirs.removeIfUnmounted(SandboxConfigFactory.podLogsDirectory(node.podLogsDir(), pod), podRef);
        }
        dirs.removeIfUnmounted(node.podDir(uid), podRef);
        statuses.remove(uid);
        backoff.resetPod(uid);
    }

    @Override
    public Duration gracePeriod(Pod pod) {
        return KubeRuntimeManager.gracePeriod(pod);
    }

    private PodStatus setStatus(Pod pod, CriPodView view, Map<String, ContainerWaiting> waiting, boolean terminal) {
        String before = statuses.status(uid(pod)).map(PodStatus::getPhase).orElse("Pending");
        PodStatus status = statuses.setPodStatus(pod, generate(pod, view, waiting, terminal));
        if ("Pending".equals(before) && "Running".equals(status.getPhase())) {
            firstSeen(pod).ifPresent(seen -> metrics.podStarted(Duration.between(seen, clock.instant())));
        }
        return status;
    }

    /** When the kubelet first saw the pod (kubernetes.io/config.seen), as upstream's pod start latency counts. */
    private static java.util.Optional<Instant> firstSeen(Pod pod) {
        Map<String, String> annotations = pod.getMetadata().getAnnotations();
        String seen = annotations == null ? null : annotations.get(StaticPods.CONFIG_SEEN);
        try {
            return seen == null ? java.util.Optional.empty() : java.util.Optional.of(Instant.parse(seen));
        } catch (DateTimeParseException e) {
            return java.util.Optional.empty();
        }
    }

    private PodStatus generate(Pod pod, CriPodView view, Map<String, ContainerWaiting> waiting, boolean terminal) {
        // after a kubelet restart, the running sandbox says when the pod started
        Instant startTime = statuses.status(uid(pod)).map(PodStatus::getStartTime).map(Instant::parse)
                .or(() -> view.sandbox().map(s -> Instant.ofEpochSecond(0, s.getCreatedAt())))
                .orElse(clock.instant());
        PodStatusRequest.Builder request = PodStatusRequest.builder(pod)
                .runtime(view)
                .runtimeName(runtimeName)
                .waiting(waiting)
                .terminationMessages(terminationMessages(pod, view))
                .nodeIPs(node.nodeIps())
                .startTime(startTime)
                .podIsTerminal(terminal);
        ProbeManager.ProbeStates probed = probes.states(pod, name -> runningId(view, name));
        probed.started().forEach(request::started);
        probed.ready().forEach(request::ready);
        return generator.generate(request.build());
    }

    /** The termination message files, after the message of a failed probe that had the instance killed. */
    private Map<String, String> terminationMessages(Pod pod, CriPodView view) {
        Map<String, String> messages = new HashMap<>(TerminationMessages.read(view));
        probes.killMessages(uid(pod), view.containers().stream().map(ContainerStatus::getId).toList())
                .forEach((id, killed) -> messages.merge(id, killed, (file, probe) -> probe + "\n" + file));
        return messages;
    }

    /** The id of the running newest instance of the container, if it runs. */
    private static java.util.Optional<String> runningId(CriPodView view, String name) {
        return view.statuses(name).stream().findFirst()
                .filter(c -> c.getState() == dev.skiff.cri.v1.ContainerState.CONTAINER_RUNNING)
                .map(ContainerStatus::getId);
    }

    /** The soonest back-off end among the waiting containers, the error resync, or the jittered resync period. */
    private Duration nextSync(Pod pod, CriPodView view, Map<String, ContainerWaiting> waiting, Instant now) {
        Duration next = resync.plus(Duration.ofMillis(ThreadLocalRandom.current().nextLong(resync.toMillis() / 2 + 1)));
        if (waiting.isEmpty()) {
            return next;
        }
        Map<String, Container> specs = new HashMap<>();
        if (pod.getSpec().getInitContainers() != null) {
            pod.getSpec().getInitContainers().forEach(c -> specs.put(c.getName(), c));
        }
        pod.getSpec().getContainers().forEach(c -> specs.put(c.getName(), c));
        for (Map.Entry<String, ContainerWaiting> w : waiting.entrySet()) {
            Duration d = ERROR_RESYNC;
            Container spec = specs.get(w.getKey());
            if (ContainerWaiting.CRASH_LOOP_BACK_OFF.equals(w.getValue().reason()) && spec != null) {
                // the window runs from the last instance's finish, as the calculator checks it
                d = backoff.remaining(PodActionsCalculator.backOffKey(pod, spec), lastFinish(view, w.getKey(), now), now)
                        .plus(BACKOFF_MARGIN);
            }
            if (d.compareTo(next) < 0) {
                next = d;
            }
        }
        return next;
    }

    /** When the newest finished instance of the container finished; {@code now} when none has. */
    private static Instant lastFinish(CriPodView view, String container, Instant now) {
        for (ContainerStatus c : view.statuses(container)) {
            if (c.getFinishedAt() > 0) {
                return Instant.ofEpochSecond(0, c.getFinishedAt());
            }
        }
        return now;
    }

    private RuntimePod list(Pod pod) {
        return runtimePods.list(uid(pod), pod.getMetadata().getNamespace(), pod.getMetadata().getName());
    }

    private static Map<String, PodSandboxStatus> sandboxStatuses(CriPodView view) {
        Map<String, PodSandboxStatus> m = new HashMap<>();
        view.sandbox().ifPresent(s -> m.put(s.getId(), s));
        return m;
    }

    private static Map<String, ContainerStatus> containerStatuses(CriPodView view) {
        Map<String, ContainerStatus> m = new HashMap<>();
        for (ContainerStatus c : view.containers()) {
            m.put(c.getId(), c);
        }
        return m;
    }

    private static String uid(Pod pod) {
        return pod.getMetadata().getUid();
    }
}
