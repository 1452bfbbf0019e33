package dev.skiff.kubelet.kuberuntime.manager;

import dev.skiff.cri.CriRuntime;
import dev.skiff.cri.v1.ContainerConfig;
import dev.skiff.cri.v1.CreateContainerRequest;
import dev.skiff.cri.v1.StartContainerRequest;
import dev.skiff.kubelet.events.EventRecorder;
import dev.skiff.kubelet.events.EventTarget;
import dev.skiff.kubelet.events.Reasons;
import dev.skiff.kubelet.kuberuntime.ContainerConfigFactory;
import dev.skiff.kubelet.kuberuntime.CreateConfigException;
import dev.skiff.kubelet.kuberuntime.actions.EnsureResult;
import dev.skiff.kubelet.kuberuntime.actions.ImagePuller;
import dev.skiff.kubelet.kuberuntime.actions.PodActions.ContainerToStart;
import dev.skiff.kubelet.kuberuntime.actions.PodActionsCalculator;
import dev.skiff.kubelet.lifecycle.HookRunner;
import dev.skiff.kubelet.metrics.KubeletMetrics;
import dev.skiff.kubelet.status.ContainerWaiting;
import dev.skiff.kubelet.worker.SyncContext;
import dev.skiff.kubelet.worker.CrashLoopBackOff;
import dev.skiff.volume.MountedVolume;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;

/**
 * Upstream startContainer: image, config, CreateContainer, StartContainer, postStart hook. A step that fails leaves
 * the container waiting with upstream's reason (ErrImagePull…, CreateContainerConfigError, CreateContainerError,
 * RunContainerError, PostStartHookError), for the pod status; the pod's other containers are not held back by it.
 * Records upstream's events: Created, Started, Failed ({@code Error: …}) for a step that fails, and
 * FailedPostStartHook. Image pulls and hooks hold no pod worker thread while they wait.
 */
public final class ContainerStarter {
    static final String CREATE_CONTAINER_CONFIG_ERROR = "CreateContainerConfigError";
    static final String CREATE_CONTAINER_ERROR = "CreateContainerError";
    static final String RUN_CONTAINER_ERROR = "RunContainerError";
    /** Upstream ErrPostStartHook: the waiting reason of a container whose postStart hook failed. */
    static final String POST_START_HOOK_ERROR = "PostStartHookError";
    /** The Killing message of a container killed for its failed postStart hook (upstream's). */
    static final String FAILED_POST_START_HOOK = "FailedPostStartHook";
    private static final Logger log = LoggerFactory.getLogger(ContainerStarter.class);

    private final CriRuntime cri;
    private final ImagePuller images;
    private final ContainerConfigFactory configs;
    private final CrashLoopBackOff backoff;
    private final Function<String, Map<String, MountedVolume>> volumes;
    private final Clock clock;
    private final EventRecorder events;
    private final Executor pulls;
    private final HookRunner hooks;
    private final PodKiller killer;
    private final KubeletMetrics metrics;

    /**
     * @param volumes pod uid → its set-up volumes by name (the volume manager's mountedVolumes)
     * @param pulls   where image checks and pulls wait (a pull may take minutes; serialized pulls wait in line)
     * @param hooks   runs postStart hooks
     * @param killer  kills a container whose postStart hook failed
     * @param metrics counts kubelet_started_containers_total and kubelet_started_containers_errors_total
     */
    public ContainerStarter(CriRuntime cri, ImagePuller images, ContainerConfigFactory configs, CrashLoopBackOff backoff,
                            Function<String, Map<String, MountedVolume>> volumes, Clock clock, EventRecorder events,
                            Executor pulls, HookRunner hooks, PodKiller killer, KubeletMetrics metrics) {
        this.metrics = metrics;
        this.events = events;
        this.cri = cri;
        this.images = images;
        this.configs = configs;
        this.backoff = backoff;
        this.volumes = volumes;
        this.clock = clock;
        this.pulls = pulls;
        this.hooks = hooks;
        this.killer = killer;
    }

    /**
     * What one start attempt left behind: the id of the container it created (even when StartContainer then
     * failed), and why the container waits (empty when it runs). {@code idKnown} is false when CreateContainer failed:
     * a runtime may still have made the container, so only a fresh list tells.
     */
    public record Started(Optional<String> containerId, Optional<ContainerWaiting> waiting, boolean idKnown) {
        static Started waiting(ContainerWaiting w) {
            return new Started(Optional.empty(), Optional.of(w), true);
        }
    }

    /**
     * Starts one container in the sandbox: the image is made sure of on the pull pool, then the container is created
     * and started on the pod worker, then its postStart hook runs (upstream startContainer's four steps); the result
     * completes when the hook has (and, when it failed, the container has been killed).
     */
    public CompletableFuture<Started> start(Pod pod, ContainerToStart c, SandboxContext sandbox, SyncContext ctx) {
        Container spec = c.init() ? pod.getSpec().getInitContainers().get(c.index())
                : pod.getSpec().getContainers().get(c.index());
        metrics.startingContainer(c.init()); // upstream counts the attempt, before the image
        CompletableFuture<EnsureResult> image;
        try {
            image = CompletableFuture.supplyAsync(() -> images.ensure(pod, spec, cri.images()), pulls);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(e);
        }
        return ctx.thenCompose(image, ensured -> {
            Started started = createAndStart(pod, c, spec, sandbox, ensured);
            started.waiting().ifPresent(w -> metrics.containerStartFailed(c.init(), w.reason()));
            if (started.waiting().isPresent() || started.containerId().isEmpty() || spec.getLifecycle() == null
                    || spec.getLifecycle().getPostStart() == null) {
                return CompletableFuture.completedFuture(started);
            }
            return postStart(pod, c, spec, sandbox, started.containerId().get(), ctx);
        });
    }

    private Started createAndStart(Pod pod, ContainerToStart c, Container spec, SandboxContext sandbox, EnsureResult image) {
        String podRef = PodRef.of(pod);
        EventTarget ref = EventTarget.container(pod, spec.getName());
        if (!image.ok()) {
            events.warning(ref, Reasons.FAILED, "Error: " + image.reason());
            return Started.waiting(new ContainerWaiting(image.reason(), image.message()));
        }
        // the restart counts against the back-off as soon as it is attempted, as upstream's doBackOff
        PodActionsCalculator.record(c, backoff, clock.instant());
        ContainerConfig config;
        try {
            ImageUser user = imageUser(image.imageRef().get());
            config = configs.create(new ContainerConfigFactory.Request(pod, spec, c.restartCount(), image.imageRef().get(),
                    sandbox.podIps(), volumes.apply(pod.getMetadata().getUid()), user.uid(), user.username()));
        } catch (CreateConfigException e) {
            log.warn("pod {} container {}: cannot make its config: {}", podRef, spec.getName(), e.getMessage());
            events.warning(ref, Reasons.FAILED, "Error: " + e.getMessage());
            return Started.waiting(new ContainerWaiting(CREATE_CONTAINER_CONFIG_ERROR, e.getMessage()));
        }
        String id;
        try {
            id = cri.runtime().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(sandbox.id())
                    .setConfig(config).setSandboxConfig(sandbox.config()).build()).getContainerId();
        } catch (RuntimeException e) {
            String msg = ImagePuller.goError(e);
            log.warn("pod {} container {}: CreateContainer failed: {}", podRef, spec.getName(), msg);
            events.warning(ref, Reasons.FAILED, "Error: " + msg);
            return new Started(Optional.empty(), Optional.of(new ContainerWaiting(CREATE_CONTAINER_ERROR, msg)), false);
        }
        events.normal(ref, Reasons.CREATED, "Created container " + spec.getName());
        try {
            cri.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
        } catch (RuntimeException e) {
            String msg = ImagePuller.goError(e);
            log.warn("pod {} container {} ({}): StartContainer failed: {}", podRef, spec.getName(), Ids.shortId(id), msg);
            events.warning(ref, Reasons.FAILED, "Error: " + msg);
            return new Started(Optional.of(id), Optional.of(new ContainerWaiting(RUN_CONTAINER_ERROR, msg)), true);
        }
        events.normal(ref, Reasons.STARTED, "Started container " + spec.getName());
        log.info("pod {} container {} started ({}): {}, restartCount {}", podRef, spec.getName(), Ids.shortId(id),
                c.reason(), c.restartCount());
        return new Started(Optional.of(id), Optional.empty(), true);
    }

    /** The image's user (upstream getImageUser); a failed ImageStatus fails the config, as upstream. */
    private ImageUser imageUser(String imageRef) throws CreateConfigException {
        try {
            return ImageUser.of(cri.images(), imageRef);
        } catch (RuntimeException e) {
            throw new CreateConfigException("cannot read the user of image " + imageRef + ": " + ImagePuller.goError(e));
        }
    }

    /**
     * Upstream's step 4: the postStart hook; when it fails, FailedPostStartHook, the container killed with the pod's
     * grace period (its preStop hook runs), and the container waits with PostStartHookError and the hook's message
     * until it is started again per the restart policy.
     */
    private CompletableFuture<Started> postStart(Pod pod, ContainerToStart c, Container spec, SandboxContext sandbox,
                                                 String id, SyncContext ctx) {
        Optional<String> podIp = sandbox.podIps().stream().findFirst();
        CompletableFuture<Optional<String>> hook = hooks.run(pod, spec, id, spec.getLifecycle().getPostStart(),
                () -> podIp, null, ctx.whenCancelled());
        return ctx.thenCompose(hook, failed -> {
            if (failed.isEmpty()) {
                return CompletableFuture.completedFuture(new Started(Optional.of(id), Optional.empty(), true));
            }
            String podRef = PodRef.of(pod);
            metrics.containerStartFailed(c.init(), POST_START_HOOK_ERROR);
            log.warn("pod {} container {} ({}): postStart hook failed: {}", podRef, spec.getName(), Ids.shortId(id),
                    failed.get());
            // upstream keeps the hook's message out of the event: it may carry secrets
            events.warning(EventTarget.container(pod, spec.getName()), Reasons.FAILED_POST_START_HOOK,
                    "PostStartHook failed");
            CompletableFuture<Void> kill = killer.killContainers(pod, List.of(new PodKiller.Kill(id, spec.getName(),
                    FAILED_POST_START_HOOK, KubeRuntimeManager.gracePeriod(pod), Map.of())));
            return kill.handle((v, e) -> {
                if (e != null) {
                    log.warn("pod {} container {}: cannot kill it after its failed postStart hook: {}", podRef,
                            spec.getName(), e.getMessage());
                }
                ContainerWaiting w = new ContainerWaiting(POST_START_HOOK_ERROR, failed.get());
                return new Started(Optional.of(id), willRestart(pod, c) ? Optional.of(w) : Optional.empty(), true);
            });
        });
    }

    /** Upstream shows the start error as a waiting state only for a container that will start again. */
    private static boolean willRestart(Pod pod, ContainerToStart c) {
        if (c.init() && "Always".equals(pod.getSpec().getInitContainers().get(c.index()).getRestartPolicy())) {
            return true; // a sidecar always restarts
        }
        return !"Never".equals(pod.getSpec().getRestartPolicy()); // killed: a non-zero exit, so OnFailure restarts too
    }
}
