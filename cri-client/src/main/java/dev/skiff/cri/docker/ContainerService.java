package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.CreateContainerResponse;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.UpdateContainerCmd;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Device;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PropagationMode;
import com.github.dockerjava.api.model.SELContext;
import com.github.dockerjava.api.model.Volume;
import dev.skiff.cri.CriErrors;
import dev.skiff.cri.v1.ContainerConfig;
import dev.skiff.cri.v1.ContainerFilter;
import dev.skiff.cri.v1.ContainerMetadata;
import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.ContainerStatus;
import dev.skiff.cri.v1.ContainerStatusRequest;
import dev.skiff.cri.v1.ContainerStatusResponse;
import dev.skiff.cri.v1.CreateContainerRequest;
import dev.skiff.cri.v1.ImageSpec;
import dev.skiff.cri.v1.LinuxContainerResources;
import dev.skiff.cri.v1.ListContainersRequest;
import dev.skiff.cri.v1.ListContainersResponse;
import dev.skiff.cri.v1.Mount;
import dev.skiff.cri.v1.MountPropagation;
import dev.skiff.cri.v1.NamespaceMode;
import dev.skiff.cri.v1.NamespaceOption;
import dev.skiff.cri.v1.PodSandboxMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Pod containers as Docker containers joined to their sandbox's namespaces, the way cri-dockerd creates them. */
public final class ContainerService {
    private static final Logger log = LoggerFactory.getLogger(ContainerService.class);
    private static final String ZERO_TIME = "0001-01-01T00:00:00Z";

    private final DockerClient docker;
    private final SandboxService sandboxes;
    private final OomScoreAdj oom;
    private final SecurityOptions security;
    private final RuntimeIndex index;
    private final ImageIndex images;

    ContainerService(DockerClient docker, SandboxService sandboxes, OomScoreAdj oom, SecurityOptions security,
                     RuntimeIndex index, ImageIndex images) {
        this.docker = docker;
        this.index = index;
        this.images = images;
        this.sandboxes = sandboxes;
        this.oom = oom;
        this.security = security;
    }

    /** What StartContainer needs to begin copying logs; empty logPath when the container has none. */
    public record LogTarget(String id, Optional<Path> logPath, boolean tty) {}

    public String create(CreateContainerRequest request) {
        ContainerConfig config = request.getConfig();
        if (!request.hasConfig() || !config.hasMetadata() || config.getMetadata().getName().isEmpty()) {
            throw CriErrors.invalidArgument("container config needs metadata with a name");
        }
        String ctr = config.getMetadata().getName();
        if (!config.hasImage() || config.getImage().getImage().isEmpty()) {
            throw CriErrors.invalidArgument("container %s has no image", ctr);
        }
        if (request.getPodSandboxId().isEmpty()) {
            throw CriErrors.invalidArgument("container %s names no pod sandbox", ctr);
        }
        ContainerRecord sandbox = sandboxes.sandboxRecord(request.getPodSandboxId());
        String sandboxId = sandbox.id();
        Map<String, String> sandboxLabels = sandbox.labels();
        PodSandboxMetadata pod = SandboxService.metadata(sandbox.name(), sandboxLabels);
        String image = config.getImage().getImage();
        if (!imageExists(image)) {
            throw CriErrors.notFound("image %s not found (container %s of pod %s/%s)", image, ctr, pod.getNamespace(), pod.getName());
        }

        Map<String, String> labels = KubeLabels.toDocker(config.getLabelsMap(), config.getAnnotationsMap());
        labels.put(KubeLabels.CONTAINER_NAME, ctr);
        labels.put(KubeLabels.TYPE, KubeLabels.TYPE_CONTAINER);
        labels.put(KubeLabels.SANDBOX_ID, sandboxId);
        labels.put(KubeLabels.POD_NAME, pod.getName());
        labels.put(KubeLabels.POD_NAMESPACE, pod.getNamespace());
        labels.put(KubeLabels.POD_UID, pod.getUid());
        String logDir = request.hasSandboxConfig() && !request.getSandboxConfig().getLogDirectory().isEmpty()
                ? request.getSandboxConfig().getLogDirectory()
                : sandboxLabels.getOrDefault(KubeLabels.SANDBOX_LOG_DIRECTORY, "");
        if (!config.getLogPath().isEmpty() && !logDir.isEmpty()) {
            labels.put(KubeLabels.LOG_PATH, Path.of(logDir).resolve(config.getLogPath()).toString());
        }

        // Refuse a security context Docker cannot honour before anything is asked of Docker.
        SecurityOptions.DockerSecurity secure = security.container("container " + ctr + " of pod " + pod.getNamespace() + "/"
                + pod.getName() + " (" + pod.getUid() + ")", config.getLinux().getSecurityContext());

        DockerHostConfig host = new DockerHostConfig();
        NamespaceOption sandboxNs = SandboxService.parseNamespaces(sandboxLabels.get(KubeLabels.SANDBOX_NAMESPACES));
        namespaces(sandboxId, sandboxNs, config.getLinux().getSecurityContext().getNamespaceOptions(), host);
        String cgroupParent = sandbox.cgroupParent();
        if (!cgroupParent.isEmpty()) {
            host.withCgroupParent(cgroupParent);
        }
        host.withBinds(binds(ctr, config.getMountsList()));
        if (config.getDevicesCount() > 0) {
            host.withDevices(config.getDevicesList().stream()
                    .map(d -> new Device(d.getPermissions().isEmpty() ? "rwm" : d.getPermissions(), d.getContainerPath(), d.getHostPath()))
                    .toList());
        }
        resources(config.getLinux().getResources(), host);

        CreateContainerCmd create = docker.createContainerCmd(image)
                .withName(DockerNames.container(config.getMetadata(), pod))
                .withLabels(labels)
                .withEnv(config.getEnvsList().stream().map(kv -> kv.getKey() + "=" + kv.getValue()).toList())
                .withTty(config.getTty())
                .withStdinOpen(config.getStdin())
                .withStdInOnce(config.getStdinOnce())
                .withAttachStdin(config.getStdin());
        if (config.getCommandCount() > 0) {
            create.withEntrypoint(config.getCommandList());
        }
        if (config.getArgsCount() > 0) {
            create.withCmd(config.getArgsList());
        }
        if (!config.getWorkingDir().isEmpty()) {
            create.withWorkingDir(config.getWorkingDir());
        }
        secure.applyTo(create, host);
        create.withHostConfig(host);

        CreateContainerResponse created;
        try {
            created = create.exec();
        } catch (RuntimeException e) {
            throw DockerErrors.map(e, "create", "container " + ctr + " of pod " + pod.getNamespace() + "/" + pod.getName());
        }
        index.changed(created.getId());
        log.info("container {} ({}) created in pod {}/{}", DockerErrors.shortId(created.getId()), ctr, pod.getNamespace(), pod.getName());
        return created.getId();
    }

    /** Whether Docker has the image, from the image index while it is live. */
    private boolean imageExists(String image) {
        try {
            if (images.live()) {
                return images.resolve(image).isPresent();
            }
            docker.inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        } catch (RuntimeException e) {
            throw DockerErrors.map(e, "inspect", "image " + image);
        }
    }

    private static void namespaces(String sandboxId, NamespaceOption sandboxNs, NamespaceOption own, HostConfig host) {
        host.withNetworkMode("container:" + sandboxId);
        host.withIpcMode(sandboxNs.getIpc() == NamespaceMode.NODE ? "host" : "container:" + sandboxId);
        if (sandboxNs.getNetwork() == NamespaceMode.NODE) {
            host.withUtSMode("host");
        }
        switch (own.getPid()) {
            case POD -> host.withPidMode("container:" + sandboxId);
            case NODE -> host.withPidMode("host");
            case TARGET -> host.withPidMode("container:" + own.getTargetId());
            default -> { } // CONTAINER: a PID namespace of its own
        }
    }

    private static List<Bind> binds(String ctr, List<Mount> mounts) {
        List<Bind> binds = new ArrayList<>();
        for (Mount m : mounts) {
            if (m.getHostPath().isEmpty() || m.getContainerPath().isEmpty()) {
                throw CriErrors.invalidArgument("mount of container %s needs a host path and a container path (got %s -> %s)",
                        ctr, m.getHostPath(), m.getContainerPath());
            }
            // Docker would silently create a missing host path as an empty root-owned directory.
            if (!Files.exists(Path.of(m.getHostPath()))) {
                throw CriErrors.invalidArgument("mount host path %s of container %s does not exist", m.getHostPath(), ctr);
            }
            PropagationMode propagation = switch (m.getPropagation()) {
                case PROPAGATION_HOST_TO_CONTAINER -> PropagationMode.RSLAVE;
                case PROPAGATION_BIDIRECTIONAL -> PropagationMode.RSHARED;
                default -> PropagationMode.DEFAULT_MODE;
            };
            binds.add(new Bind(m.getHostPath(), new Volume(m.getContainerPath()), m.getReadonly() ? AccessMode.ro : AccessMode.rw,
                    SELContext.none, null, propagation));
        }
        return binds;
    }

    private void resources(LinuxContainerResources r, HostConfig host) {
        if (r.getCpuShares() > 0) {
            host.withCpuShares((int) r.getCpuShares());
        }
        if (r.getCpuQuota() != 0) {
            host.withCpuQuota(r.getCpuQuota());
        }
        if (r.getCpuPeriod() > 0) {
            host.withCpuPeriod(r.getCpuPeriod());
        }
        if (r.getMemoryLimitInBytes() > 0) {
            host.withMemory(r.getMemoryLimitInBytes());
            // As cri-dockerd: no swap beyond the limit unless a swap limit is asked for.
            host.withMemorySwap(r.getMemorySwapLimitInBytes() != 0 ? r.getMemorySwapLimitInBytes() : r.getMemoryLimitInBytes());
        }
        if (!r.getCpusetCpus().isEmpty()) {
            host.withCpusetCpus(r.getCpusetCpus());
        }
        if (!r.getCpusetMems().isEmpty()) {
            host.withCpusetMems(r.getCpusetMems());
        }
        if (r.getOomScoreAdj() != 0) {
            host.withOomScoreAdj(oom.clamp((int) r.getOomScoreAdj()));
        }
    }

    /** Starts the container; returns where its logs go. */
    public LogTarget start(String id) {
        ContainerRecord r = containerRecord(id);
        try {
            docker.startContainerCmd(r.id()).exec();
        } catch (NotModifiedException e) {
            // already running
        } catch (RuntimeException e) {
            throw DockerErrors.map(e, "start", "container " + id);
        } finally {
            index.changed(r.id());
        }
        log.info("container {} started", DockerErrors.shortId(r.id()));
        return r.logTarget();
    }

    /**
     * SIGTERM, then SIGKILL after {@code timeoutSeconds}; an unknown or stopped container is success,
     * and so is a sandbox's id (left running: it is not a container).
     */
    public void stop(String id, long timeoutSeconds) {
        Optional<ContainerRecord> found = findContainer(id);
        if (found.isEmpty()) {
            return;
        }
        String fullId = found.get().id();
        try {
            docker.stopContainerCmd(fullId).withTimeout((int) Math.max(0, Math.min(timeoutSeconds, Integer.MAX_VALUE))).exec();
            log.info("container {} stopped", DockerErrors.shortId(fullId));
        } catch (NotFoundException | NotModifiedException e) {
            // idempotent
        } catch (RuntimeException e) {
            throw DockerErrors.map(e, "stop", "container " + id);
        } finally {
            index.changed(fullId);
        }
    }

    /**
     * Force-removes the container; an unknown id is success, and so is a sandbox's (left alone).
     * Returns the full id when it existed.
     */
    public Optional<String> remove(String id) {
        Optional<ContainerRecord> found = findContainer(id);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        String fullId = found.get().id();
        try {
            docker.removeContainerCmd(fullId).withForce(true).withRemoveVolumes(true).exec();
            index.removed(fullId);
            log.info("container {} removed", DockerErrors.shortId(fullId));
        } catch (NotFoundException e) {
            index.removed(fullId); // removed meanwhile
        } catch (RuntimeException e) {
            index.changed(fullId);
            if (!DockerErrors.dockerMessage(e).contains("is already in progress")) {
                throw DockerErrors.map(e, "remove", "container " + id);
            }
        }
        return Optional.of(fullId);
    }

    /** A pod container (not a sandbox) for an id or unique prefix; NOT_FOUND naming it otherwise. */
    public InspectContainerResponse inspectContainer(String id) {
        return KubeObjects.inspect(docker, id, KubeLabels.TYPE_CONTAINER, "container");
    }

    /** As {@link #inspectContainer}, from the index while it is live. */
    private ContainerRecord containerRecord(String id) {
        return findContainer(id).orElseThrow(() -> CriErrors.notFound("%s %s not found", "container", id));
    }

    /** The pod container for an id (empty when unknown or of another kind), from the index while it is live. */
    private Optional<ContainerRecord> findContainer(String id) {
        if (index.answers(id)) {
            return index.find(id, KubeLabels.TYPE_CONTAINER, "container");
        }
        return KubeObjects.find(docker, id, KubeLabels.TYPE_CONTAINER, "container").flatMap(ContainerRecord::of);
    }

    public ContainerStatusResponse status(ContainerStatusRequest request) {
        String id = request.getContainerId();
        ContainerStatus status = index.answers(id) ? index.require(id, KubeLabels.TYPE_CONTAINER, "container").containerStatus()
                : status(inspectContainer(id));
        return ContainerStatusResponse.newBuilder().setStatus(status).build();
    }

    static ContainerStatus status(InspectContainerResponse r) {
        Map<String, String> labels = r.getConfig().getLabels();
        InspectContainerResponse.ContainerState s = r.getState();
        long created = nanos(r.getCreated());
        long started = nanos(s.getStartedAt());
        // Docker stamps StartedAt after runc returns; a process that exits at once can carry an
        // earlier FinishedAt. Nothing finishes before it starts.
        long finished = nanos(s.getFinishedAt());
        if (finished > 0 && finished < started) {
            finished = started;
        }
        int exitCode = s.getExitCodeLong() == null ? 0 : s.getExitCodeLong().intValue();
        String dockerState = s.getStatus() == null ? "" : s.getStatus();
        ContainerState state;
        String reason = "";
        String message = s.getError() == null ? "" : s.getError();
        switch (dockerState) {
            case "running", "paused", "restarting" -> state = ContainerState.CONTAINER_RUNNING;
            case "exited", "dead" -> {
                state = ContainerState.CONTAINER_EXITED;
                if (Boolean.TRUE.equals(s.getOOMKilled())) {
                    reason = "OOMKilled";
                } else if (finished == 0 && exitCode != 0) {
                    reason = "ContainerCannotRun";
                } else {
                    reason = exitCode == 0 ? "Completed" : "Error";
                }
            }
            case "created" -> {
                if (exitCode != 0 || !message.isEmpty()) {
                    // A start that failed (bad entrypoint…): Docker leaves it "created" with an error.
                    state = ContainerState.CONTAINER_EXITED;
                    reason = "ContainerCannotRun";
                } else {
                    state = ContainerState.CONTAINER_CREATED;
                }
            }
            default -> state = ContainerState.CONTAINER_UNKNOWN;
        }
        String imageId = r.getImageId() == null ? "" : r.getImageId();
        ContainerStatus.Builder b = ContainerStatus.newBuilder()
                .setId(r.getId())
                .setMetadata(containerMetadata(r.getName(), labels))
                .setState(state)
                .setCreatedAt(created)
                .setStartedAt(started)
                .setFinishedAt(finished)
                .setExitCode(exitCode)
                .setImage(ImageSpec.newBuilder().setImage(r.getConfig().getImage() == null ? "" : r.getConfig().getImage()))
                .setImageRef(imageId)
                .setImageId(imageId)
                .setReason(reason)
                .setMessage(message)
                .putAllLabels(KubeLabels.criLabels(labels))
                .putAllAnnotations(KubeLabels.criAnnotations(labels))
                .setLogPath(labels.getOrDefault(KubeLabels.LOG_PATH, ""));
        Bind[] binds = r.getHostConfig().getBinds();
        if (binds != null) {
            for (Bind bind : binds) {
                PropagationMode p = bind.getPropagationMode();
                b.addMounts(Mount.newBuilder()
                        .setHostPath(bind.getPath())
                        .setContainerPath(bind.getVolume().getPath())
                        .setReadonly(bind.getAccessMode() == AccessMode.ro)
                        .setPropagation(p == PropagationMode.RSLAVE || p == PropagationMode.SLAVE
                                ? MountPropagation.PROPAGATION_HOST_TO_CONTAINER
                                : p == PropagationMode.RSHARED || p == PropagationMode.SHARED
                                ? MountPropagation.PROPAGATION_BIDIRECTIONAL : MountPropagation.PROPAGATION_PRIVATE));
            }
        }
        return b.build();
    }

    static ContainerMetadata containerMetadata(String dockerName, Map<String, String> labels) {
        ContainerMetadata.Builder b = ContainerMetadata.newBuilder().setName(labels.getOrDefault(KubeLabels.CONTAINER_NAME, ""));
        DockerNames.parse(dockerName).ifPresent(p -> {
            b.setAttempt(p.attempt());
            if (b.getName().isEmpty()) {
                b.setName(p.containerName());
            }
        });
        return b.build();
    }

    public ListContainersResponse list(ListContainersRequest request) {
        ContainerFilter f = request.getFilter();
        ListContainersResponse.Builder out = ListContainersResponse.newBuilder();
        if (index.live()) {
            try {
                for (ContainerRecord r : index.all(KubeLabels.TYPE_CONTAINER)) {
                    if (selected(r.id(), r.labels(), f.getId(), f.getPodSandboxId(), f.getLabelSelectorMap())) {
                        listed(f, r.id(), r.name(), r.labels(), r.dockerState(), r.createdSeconds(),
                                images.listedImage(r.configImage(), r.imageId()), r.imageId(), out);
                    }
                }
            } catch (io.grpc.StatusRuntimeException e) {
                throw e;
            } catch (RuntimeException e) {
                throw DockerErrors.map(e, "list", "containers");
            }
            return out.build();
        }
        for (Container c : listDocker(f.getId(), f.getPodSandboxId(), f.getLabelSelectorMap())) {
            String name = c.getNames() == null || c.getNames().length == 0 ? "" : c.getNames()[0];
            listed(f, c.getId(), name, c.getLabels(), c.getState(), c.getCreated() == null ? 0 : c.getCreated(),
                    c.getImage() == null ? "" : c.getImage(), c.getImageId() == null ? "" : c.getImageId(), out);
        }
        return out.build();
    }

    /** Adds the container when its state passes the filter; Docker's list fields in, whichever gave them. */
    private static void listed(ContainerFilter f, String id, String name, Map<String, String> labels, String dockerState,
                               long createdSeconds, String image, String imageId, ListContainersResponse.Builder out) {
        ContainerState state = state(dockerState);
        if (f.hasState() && f.getState().getState() != state) {
            return;
        }
        out.addContainers(dev.skiff.cri.v1.Container.newBuilder()
                .setId(id)
                .setPodSandboxId(labels.getOrDefault(KubeLabels.SANDBOX_ID, ""))
                .setMetadata(containerMetadata(name, labels))
                .setImage(ImageSpec.newBuilder().setImage(image))
                .setImageRef(imageId)
                .setImageId(imageId)
                .setState(state)
                .setCreatedAt(createdSeconds * 1_000_000_000L)
                .putAllLabels(KubeLabels.criLabels(labels))
                .putAllAnnotations(KubeLabels.criAnnotations(labels)));
    }

    /** The id prefix, sandbox id prefix and label selector of a list filter; empty strings match all. */
    static boolean selected(String id, Map<String, String> labels, String idPrefix, String sandboxId, Map<String, String> selector) {
        Map<String, String> l = labels == null ? Map.of() : labels;
        return (idPrefix.isEmpty() || id.startsWith(idPrefix))
                && (sandboxId.isEmpty() || l.getOrDefault(KubeLabels.SANDBOX_ID, "").startsWith(sandboxId))
                && KubeLabels.matches(l, selector);
    }

    /** Pod containers matching an id prefix, a sandbox (id or prefix) and a label selector; empty strings match all. */
    List<Container> listDocker(String idPrefix, String sandboxId, Map<String, String> selector) {
        Map<String, String> labelFilter = new HashMap<>(selector);
        labelFilter.put(KubeLabels.TYPE, KubeLabels.TYPE_CONTAINER);
        List<Container> all;
        try {
            all = docker.listContainersCmd().withShowAll(true).withLabelFilter(labelFilter).exec();
        } catch (RuntimeException e) {
            throw DockerErrors.map(e, "list", "containers");
        }
        List<Container> out = new ArrayList<>();
        for (Container c : all) {
            if (selected(c.getId(), c.getLabels(), idPrefix, sandboxId, selector)) {
                out.add(c);
            }
        }
        return out;
    }

    static ContainerState state(String dockerState) {
        if (dockerState == null) {
            return ContainerState.CONTAINER_UNKNOWN;
        }
        return switch (dockerState) {
            case "created" -> ContainerState.CONTAINER_CREATED;
            case "running", "paused", "restarting" -> ContainerState.CONTAINER_RUNNING;
            case "exited", "dead", "removing" -> ContainerState.CONTAINER_EXITED;
            default -> ContainerState.CONTAINER_UNKNOWN;
        };
    }

    public void update(String id, LinuxContainerResources r) {
        String fullId = inspectContainer(id).getId();
        UpdateContainerCmd cmd = docker.updateContainerCmd(fullId);
        if (r.getCpuShares() > 0) {
            cmd.withCpuShares((int) r.getCpuShares());
        }
        if (r.getCpuQuota() != 0) {
            cmd.withCpuQuota(r.getCpuQuota());
        }
        if (r.getCpuPeriod() > 0) {
            cmd.withCpuPeriod(r.getCpuPeriod());
        }
        if (r.getMemoryLimitInBytes() > 0) {
            cmd.withMemory(r.getMemoryLimitInBytes());
            cmd.withMemorySwap(r.getMemorySwapLimitInBytes() != 0 ? r.getMemorySwapLimitInBytes() : r.getMemoryLimitInBytes());
        }
        if (!r.getCpusetCpus().isEmpty()) {
            cmd.withCpusetCpus(r.getCpusetCpus());
        }
        if (!r.getCpusetMems().isEmpty()) {
            cmd.withCpusetMems(r.getCpusetMems());
        }
        try {
            cmd.exec();
        } catch (RuntimeException e) {
            throw DockerErrors.map(e, "update resources of", "container " + id);
        }
        log.info("container {} resources updated", DockerErrors.shortId(fullId));
    }

    /** Docker's RFC 3339 (nanosecond) timestamps as Unix nanoseconds; Docker's zero time and blanks are 0. */
    public static long nanos(String rfc3339) {
        if (rfc3339 == null || rfc3339.isEmpty() || rfc3339.equals(ZERO_TIME) || rfc3339.startsWith("0001-01-01")) {
            return 0;
        }
        try {
            Instant t = OffsetDateTime.parse(rfc3339).toInstant();
            return t.getEpochSecond() * 1_000_000_000L + t.getNano();
        } catch (DateTimeParseException e) {
            log.debug("unparseable Docker time {}", rfc3339);
            return 0;
        }
    }

    static long nowNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
