package dev.skiff.kubelet.kuberuntime.manager;

import dev.skiff.cri.CriRuntime;
import dev.skiff.cri.v1.ContainerConfig;
import dev.skiff.cri.v1.CreateContainerRequest;
import dev.skiff.cri.v1.StartContainerRequest;
import dev.skiff.kubelet.kuberuntime.ContainerConfigFactory;
import dev.skiff.kubelet.kuberuntime.CreateConfigException;
import dev.skiff.kubelet.kuberuntime.actions.EnsureResult;
import dev.skiff.kubelet.kuberuntime.actions.ImagePuller;
import dev.skiff.kubelet.kuberuntime.actions.PodActions.ContainerToStart;
import dev.skiff.kubelet.kuberuntime.actions.PodActionsCalculator;
import dev.skiff.kubelet.status.ContainerWaiting;
import dev.skiff.kubelet.worker.CrashLoopBackOff;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/**
 * Upstream startContainer: image, config, CreateContainer, StartContainer. A step that fails leaves the
 * container waiting with upstream's reason (ErrImagePull…, CreateContainerConfigError, CreateContainerError,
 * RunContainerError), for the pod status; the pod's other containers are not held back by it.
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
    private final Clock clock;

    public ContainerStarter(CriRuntime cri, ImagePuller images, ContainerConfigFactory configs, CrashLoopBackOff backoff,
                            Clock clock) {
        this.cri = cri;
        this.images = images;
        this.configs = configs;
        this.backoff = backoff;
        this.clock = clock;
    }

    /** Starts one container in the sandbox; empty when it runs, else why it waits. */
    public Optional<ContainerWaiting> start(Pod pod, ContainerToStart c, SandboxContext sandbox) {
        Container spec = c.init() ? pod.getSpec().getInitContainers().get(c.index())
                : pod.getSpec().getContainers().get(c.index());
        String podRef = PodRef.of(pod);
        EnsureResult image = images.ensure(pod, spec, cri.images());
        if (!image.ok()) {
            return Optional.of(new ContainerWaiting(image.reason(), image.message()));
        }
        // the restart counts against the back-off as soon as it is attempted, as upstream's doBackOff
        PodActionsCalculator.record(c, backoff, clock.instant());
        ContainerConfig config;
        try {
            config = configs.create(new ContainerConfigFactory.Request(pod, spec, c.restartCount(), image.imageRef().get(),
                    sandbox.podIps(), Map.of(), Optional.empty(), ""));
        } catch (CreateConfigException e) {
            log.warn("pod {} container {}: cannot make its config: {}", podRef, spec.getName(), e.getMessage());
            return Optional.of(new ContainerWaiting(CREATE_CONTAINER_CONFIG_ERROR, e.getMessage()));
        }
        String id;
        try {
            id = cri.runtime().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(sandbox.id())
                    .setConfig(config).setSandboxConfig(sandbox.config()).build()).getContainerId();
        } catch (RuntimeException e) {
            String msg = ImagePuller.goError(e);
            log.warn("pod {} container {}: CreateContainer failed: {}", podRef, spec.getName(), msg);
            return Optional.of(new ContainerWaiting(CREATE_CONTAINER_ERROR, msg));
        }
        try {
            cri.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
        } catch (RuntimeException e) {
            String msg = ImagePuller.goError(e);
            log.warn("pod {} container {} ({}): StartContainer failed: {}", podRef, spec.getName(), Ids.shortId(id), msg);
            return Optional.of(new ContainerWaiting(RUN_CONTAINER_ERROR, msg));
        }
        log.info("pod {} container {} started ({}): {}, restartCount {}", podRef, spec.getName(), Ids.shortId(id),
                c.reason(), c.restartCount());
        return Optional.empty();
    }
}
