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
import dev.skiff.kubelet.status.ContainerWaiting;
import dev.skiff.kubelet.worker.CrashLoopBackOff;
import dev.skiff.volume.MountedVolume;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Upstream startContainer: image, config, CreateContainer, StartContainer. A step that fails leaves the
 * container waiting with upstream's reason (ErrImagePull…, CreateContainerConfigError, CreateContainerError,
 * RunContainerError), for the pod status; the pod's other containers are not held back by it. Records upstream's
 * events: Created, Started, and Failed ({@code Error: …}) for a step that fails.
 */
public final class ContainerStarter {
    static final String CREATE_CONTAINER_CONFIG_ERROR = "CreateContainerConfigError";
    static final String CREATE_CONTAINER_ERROR = "CreateContainerError";
    static final String RUN_CONTAINER_ERROR = "RunContainerError";
    private static final Logger log = LoggerFactory.getLogger(ContainerStarter.class);

    private final CriRuntime cri;
    private final ImagePuller images;
    private final ContainerConfigFactory configs;
    private final CrashLoopBackOff backoff;
    private final Function<String, Map<String, MountedVolume>> volumes;
    private final Clock clock;
    private final EventRecorder events;

    /** @param volumes pod uid → its set-up volumes by name (the volume manager's mountedVolumes) */
    public ContainerStarter(CriRuntime cri, ImagePuller images, ContainerConfigFactory configs, CrashLoopBackOff backoff,
                            Function<String, Map<String, MountedVolume>> volumes, Clock clock, EventRecorder events) {
        this.events = events;
        this.cri = cri;
        this.images = images;
        this.configs = configs;
        this.backoff = backoff;
        this.volumes = volumes;
        this.clock = clock;
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

    /** Starts one container in the sandbox. */
    public Started start(Pod pod, ContainerToStart c, SandboxContext sandbox) {
        Container spec = c.init() ? pod.getSpec().getInitContainers().get(c.index())
                : pod.getSpec().getContainers().get(c.index());
        String podRef = PodRef.of(pod);
        EventTarget ref = EventTarget.container(pod, spec.getName());
        EnsureResult image = images.ensure(pod, spec, cri.images());
        if (!image.ok()) {
            events.warning(ref, Reasons.FAILED, "Error: " + image.reason());
            return Started.waiting(new ContainerWaiting(image.reason(), image.message()));
        }
        // the restart counts against the back-off as soon as it is attempted, as upstream's doBackOff
        PodActionsCalculator.record(c, backoff, clock.instant());
        ContainerConfig config;
        try {
            config = configs.create(new ContainerConfigFactory.Request(pod, spec, c.restartCount(), image.imageRef().get(),
                    sandbox.podIps(), volumes.apply(pod.getMetadata().getUid()), Optional.empty(), ""));
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
}
