package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.CreateContainerResponse;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.InternetProtocol;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import dev.skiff.cri.CriErrors;
import dev.skiff.cri.v1.DNSConfig;
import dev.skiff.cri.v1.LinuxPodSandboxStatus;
import dev.skiff.cri.v1.ListPodSandboxRequest;
import dev.skiff.cri.v1.ListPodSandboxResponse;
import dev.skiff.cri.v1.Namespace;
import dev.skiff.cri.v1.NamespaceMode;
import dev.skiff.cri.v1.NamespaceOption;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.PodSandboxConfig;
import dev.skiff.cri.v1.PodSandboxFilter;
import dev.skiff.cri.v1.PodSandboxMetadata;
import dev.skiff.cri.v1.PodSandboxNetworkStatus;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.cri.v1.PodSandboxStatus;
import dev.skiff.cri.v1.PodSandboxStatusRequest;
import dev.skiff.cri.v1.PodSandboxStatusResponse;
import dev.skiff.cri.v1.PortMapping;
import dev.skiff.cri.v1.RunPodSandboxRequest;
import dev.skiff.cri.v1.RunPodSandboxResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/** Pod sandboxes as pause containers holding the pod's namespaces, the way cri-dockerd runs them. */
public final class SandboxService {
    private static final Logger log = LoggerFactory.getLogger(SandboxService.class);
    /** What cri-dockerd asks for the infra container (qos.PodInfraOOMAdj); clamped when not permitted. */
    static final int POD_INFRA_OOM_SCORE_ADJ = -998;
    /** The pause program exits at once on SIGTERM; this only bounds a misbehaving override image. */
    static final int PAUSE_STOP_SECONDS = 10;

    private final DockerClient docker;
    private final PauseImage pause;
    private final OomScoreAdj oom;
    private final SecurityOptions security;
    private final Consumer<String> onContainerRemoved;
    private final RuntimeIndex index;

    /** @param onContainerRemoved told the id of each container removed with its sandbox (log copying stops) */
    SandboxService(DockerClient docker, PauseImage pause, OomScoreAdj oom, SecurityOptions security,
                   Consumer<String> onContainerRemoved, RuntimeIndex index) {
        this.docker = docker;
        this.index = index;
        this.pause = pause;
        this.oom = oom;
        this.security = security;
        this.onContainerRemoved = onContainerRemoved;
    }

    public RunPodSandboxResponse run(RunPodSandboxRequest request) {
        PodSandboxConfig config = request.getConfig();
        PodSandboxMetadata meta = config.getMetadata();
        if (!config.hasMetadata() || meta.getName().isEmpty() || meta.getNamespace().isEmpty() || meta.getUid().isEmpty()) {
            throw CriErrors.invalidArgument("pod sandbox config needs metadata with name, namespace and uid (got %s/%s uid %s)",
                    meta.getNamespace(), meta.getName(), meta.getUid());
        }
        String pod = meta.getNamespace() + "/" + meta.getName();
        // Refuse a security context Docker cannot honour before anything is asked of Docker.
        SecurityOptions.DockerSecurity secure = security.sandbox("sandbox of pod " + pod + " (" + meta.getUid() + ")",
                config.getLinux().getSecurityContext());
        String image = pause.ensure();
        String name = DockerNames.sandbox(meta);
        NamespaceOption ns = config.getLinux().getSecurityContext().getNamespaceOptions();

        Map<String, String> labels = KubeLabels.toDocker(config.getLabelsMap(), config.getAnnotationsMap());
        labels.put(KubeLabels.POD_NAME, meta.getName());
        labels.put(KubeLabels.POD_NAMESPACE, meta.getNamespace());
        labels.put(KubeLabels.POD_UID, meta.getUid());
        labels.put(KubeLabels.TYPE, KubeLabels.TYPE_SANDBOX);
        labels.put(KubeLabels.SANDBOX_NAMESPACES, namespacesLabel(ns));
        if (!config.getLogDirectory().isEmpty()) {
            labels.put(KubeLabels.SANDBOX_LOG_DIRECTORY, config.getLogDirectory());
        }
        if (!request.getRuntimeHandler().isEmpty()) {
            labels.put(KubeLabels.RUNTIME_HANDLER, request.getRuntimeHandler());
        }

        DockerHostConfig host = new DockerHostConfig();
        host.withIpcMode(ns.getIpc() == NamespaceMode.NODE ? "host" : "shareable")
                .withOomScoreAdj(oom.clamp(POD_INFRA_OOM_SCORE_ADJ));
        CreateContainerCmd create = docker.createContainerCmd(image).withName(name).withLabels(labels);
        if (ns.getNetwork() == NamespaceMode.NODE) {
            // The node's network and its hostname: a hostname may not be set in the host UTS namespace.
            host.withNetworkMode("host").withUtSMode("host");
        } else {
            host.withNetworkMode("bridge");
            if (!config.getHostname().isEmpty()) {
                create.withHostName(config.getHostname());
            }
            portMappings(config.getPortMappingsList(), create, host);
        }
        if (ns.getPid() == NamespaceMode.NODE) {
            host.withPidMode("host");
        }
        if (!config.getLinux().getCgroupParent().isEmpty()) {
            host.withCgroupParent(config.getLinux().getCgroupParent());
        }
        if (config.getLinux().getSysctlsCount() > 0) {
            host.withSysctls(new HashMap<>(config.getLinux().getSysctlsMap()));
        }
        secure.applyTo(create, host);
        create.withHostConfig(host);

        CreateContainerResponse created;
        try {
            created = createEnsuringImage(create);
        } catch (RuntimeException e) {
            throw DockerErrors.map(e, "create sandbox container for", "pod " + pod + " (" + name + ")");
        }
        String id = created.getId();
        try {
            docker.startContainerCmd(id).exec();
            if (config.hasDnsConfig()) {
                writeResolvConf(id, config.getDnsConfig());
            }
        } catch (RuntimeException e) {
            // Leave nothing half-made behind: the kubelet retries with a fresh RunPodSandbox.
            removeQuietly(id);
            index.removed(id);
            throw DockerErrors.map(e, "start sandbox of", "pod " + pod + " (" + name + ")");
        }
        index.changed(id);
        log.info("sandbox {} of pod {} running (image {})", DockerErrors.shortId(id), pod, image);
        return RunPodSandboxResponse.newBuilder().setPodSandboxId(id).build();
    }

    /**
     * Creates the sandbox container. The pause image is checked once per shim, not per sandbox; should it have
     * been removed since, Docker answers "No such image" and it is imported (or pulled) again, then created once more.
     */
    private CreateContainerResponse createEnsuringImage(CreateContainerCmd create) {
        try {
            return create.exec();
        } catch (NotFoundException e) {
            if (!isNoSuchImage(e)) {
                throw e;
            }
            log.info("sandbox image {} is gone from Docker; ensuring it again", create.getImage());
            pause.invalidate();
            create.withImage(pause.ensure());
            return create.exec();
        }
    }

    static boolean isNoSuchImage(RuntimeException e) {
        return DockerErrors.dockerMessage(e).contains("No such image");
    }

    private static void portMappings(List<PortMapping> mappings, CreateContainerCmd create, HostConfig host) {
        if (mappings.isEmpty()) {
            return;
        }
        List<ExposedPort> exposed = new ArrayList<>();
        Ports ports = new Ports();
        for (PortMapping m : mappings) {
            InternetProtocol protocol = switch (m.getProtocol()) {
                case UDP -> InternetProtocol.UDP;
                case SCTP -> InternetProtocol.SCTP;
                default -> InternetProtocol.TCP;
            };
            ExposedPort port = new ExposedPort(m.getContainerPort(), protocol);
            exposed.add(port);
            if (m.getHostPort() > 0) {
                String hostIp = m.getHostIp().isEmpty() ? null : m.getHostIp();
                ports.bind(port, new Ports.Binding(hostIp, Integer.toString(m.getHostPort())));
            }
        }
        create.withExposedPorts(exposed);
        host.withPortBindings(ports);
    }

    /** Overwrites the pod's resolv.conf (shared by every container joining its network) as cri-dockerd does. */
    private void writeResolvConf(String id, DNSConfig dns) {
        String path = docker.inspectContainerCmd(id).exec().getResolvConfPath();
        if (path == null || path.isEmpty()) {
            throw CriErrors.internal(null, "sandbox %s has no resolv.conf to write the DNS config to", DockerErrors.shortId(id));
        }
        try {
            Files.writeString(Path.of(path), resolvConf(dns), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw CriErrors.internal(e, "cannot write DNS config of sandbox %s to %s: %s", DockerErrors.shortId(id), path, e);
        }
    }

    /** resolv.conf text: one {@code nameserver} line per server, then {@code search} and {@code options} lines. */
    public static String resolvConf(DNSConfig dns) {
        StringBuilder out = new StringBuilder();
        for (String server : dns.getServersList()) {
            out.append("nameserver ").append(server).append('\n');
        }
        if (dns.getSearchesCount() > 0) {
            out.append("search ").append(String.join(" ", dns.getSearchesList())).append('\n');
        }
        if (dns.getOptionsCount() > 0) {
            out.append("options ").append(String.join(" ", dns.getOptionsList())).append('\n');
        }
        return out.toString();
    }

    /**
     * Stops the sandbox and whatever still runs in it; an unknown id is success (containers still
     * naming it are stopped), and a pod container's id is left alone.
     */
    public void stop(String id) {
        Optional<ContainerRecord> sandbox = findSandbox(id);
        String fullId = sandbox.map(ContainerRecord::id).orElse(id);
        for (Container c : containersOf(fullId)) {
            if ("running".equals(c.getState()) || "paused".equals(c.getState())) {
                // The kubelet has already given them their grace period; what remains dies with the pod.
                stopQuietly(c.getId(), 0);
                index.changed(c.getId());
            }
        }
        if (sandbox.isEmpty()) {
            return;
        }
        try {
            docker.stopContainerCmd(fullId).withTimeout(PAUSE_STOP_SECONDS).exec();
            log.info("sandbox {} stopped", DockerErrors.shortId(fullId));
        } catch (NotFoundException | NotModifiedException e) {
            // already gone or already stopped: idempotent
        } catch (RuntimeException e) {
            throw DockerErrors.map(e, "stop", "sandbox " + id);
        } finally {
            index.changed(fullId);
        }
    }

    /**
     * Removes the sandbox and every container of it, with force; an unknown id is success (containers
     * still naming it are removed), and a pod container's id is left alone.
     */
    public void remove(String id) {
        Optional<ContainerRecord> sandbox = findSandbox(id);
        String fullId = sandbox.map(ContainerRecord::id).orElse(id);
        for (Container c : containersOf(fullId)) {
            removeQuietly(c.getId());
            index.changed(c.getId());
            onContainerRemoved.accept(c.getId());
        }
        if (sandbox.isEmpty()) {
            return;
        }
        try {
            docker.removeContainerCmd(fullId).withForce(true).withRemoveVolumes(true).exec();
            log.info("sandbox {} removed", DockerErrors.shortId(fullId));
        } catch (NotFoundException e) {
            // idempotent
        } catch (RuntimeException e) {
            if (DockerErrors.dockerMessage(e).contains("is already in progress")) {
                return;
            }
            throw DockerErrors.map(e, "remove", "sandbox " + id);
        } finally {
            index.changed(fullId);
        }
    }

    private List<Container> containersOf(String sandboxId) {
        return docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(KubeLabels.SANDBOX_ID, sandboxId)).exec();
    }

    private void stopQuietly(String id, int seconds) {
        try {
            docker.stopContainerCmd(id).withTimeout(seconds).exec();
        } catch (RuntimeException e) {
            log.debug("stop of container {} with its sandbox: {}", DockerErrors.shortId(id), e.toString());
        }
    }

    private void removeQuietly(String id) {
        try {
            docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
        } catch (RuntimeException e) {
            log.debug("remove of container {}: {}", DockerErrors.shortId(id), e.toString());
        }
    }

    /** The sandbox container for an id or unique id prefix; NOT_FOUND naming it otherwise. */
    public InspectContainerResponse inspectSandbox(String id) {
        return KubeObjects.inspect(docker, id, KubeLabels.TYPE_SANDBOX, "pod sandbox");
    }

    /** As {@link #inspectSandbox}, from the index while it is live. */
    ContainerRecord sandboxRecord(String id) {
        return findSandbox(id).orElseThrow(() -> CriErrors.notFound("%s %s not found", "pod sandbox", id));
    }

    /** The sandbox for an id (empty when unknown or of another kind), from the index while it is live. */
    private Optional<ContainerRecord> findSandbox(String id) {
        if (index.answers(id)) {
            return index.find(id, KubeLabels.TYPE_SANDBOX, "pod sandbox");
        }
        return KubeObjects.find(docker, id, KubeLabels.TYPE_SANDBOX, "pod sandbox").flatMap(ContainerRecord::of);
    }

    public PodSandboxStatusResponse status(PodSandboxStatusRequest request) {
        String id = request.getPodSandboxId();
        PodSandboxStatus status = index.answers(id) ? index.require(id, KubeLabels.TYPE_SANDBOX, "pod sandbox").sandboxStatus()
                : statusOf(inspectSandbox(id));
        return PodSandboxStatusResponse.newBuilder().setStatus(status).setTimestamp(ContainerService.nowNanos()).build();
    }

    /** A sandbox's status (without the call's timestamp) from its inspect. */
    static PodSandboxStatus statusOf(InspectContainerResponse r) {
        Map<String, String> labels = r.getConfig().getLabels();
        boolean running = Boolean.TRUE.equals(r.getState().getRunning());
        PodSandboxStatus.Builder status = PodSandboxStatus.newBuilder()
                .setId(r.getId())
                .setMetadata(metadata(r.getName(), labels))
                .setState(running ? PodSandboxState.SANDBOX_READY : PodSandboxState.SANDBOX_NOTREADY)
                .setCreatedAt(ContainerService.nanos(r.getCreated()))
                .setLinux(LinuxPodSandboxStatus.newBuilder().setNamespaces(
                        Namespace.newBuilder().setOptions(parseNamespaces(labels.get(KubeLabels.SANDBOX_NAMESPACES)))))
                .putAllLabels(KubeLabels.criLabels(labels))
                .putAllAnnotations(KubeLabels.criAnnotations(labels))
                .setRuntimeHandler(labels.getOrDefault(KubeLabels.RUNTIME_HANDLER, ""));
        String ip = podIp(r);
        if (!ip.isEmpty()) {
            status.setNetwork(PodSandboxNetworkStatus.newBuilder().setIp(ip));
        }
        return status.build();
    }

    /** The pod IP on Docker's bridge; empty for host-network pods and stopped sandboxes. */
    static String podIp(InspectContainerResponse r) {
        if (r.getNetworkSettings() == null || "host".equals(r.getHostConfig().getNetworkMode())) {
            return "";
        }
        Map<String, ContainerNetwork> networks = r.getNetworkSettings().getNetworks();
        if (networks != null) {
            for (ContainerNetwork n : networks.values()) {
                if (n.getIpAddress() != null && !n.getIpAddress().isEmpty()) {
                    return n.getIpAddress();
                }
            }
        }
        String ip = r.getNetworkSettings().getIpAddress();
        return ip == null ? "" : ip;
    }

    public ListPodSandboxResponse list(ListPodSandboxRequest request) {
        PodSandboxFilter filter = request.getFilter();
        ListPodSandboxResponse.Builder out = ListPodSandboxResponse.newBuilder();
        if (index.live()) {
            List<ContainerRecord> all;
            try {
                all = index.all(KubeLabels.TYPE_SANDBOX);
            } catch (io.grpc.StatusRuntimeException e) {
                throw e;
            } catch (RuntimeException e) {
                throw DockerErrors.map(e, "list", "pod sandboxes");
            }
            for (ContainerRecord r : all) {
                listed(filter, r.id(), r.name(), r.labels(), r.dockerState(), r.createdSeconds(), out);
            }
            return out.build();
        }
        Map<String, String> labelFilter = new HashMap<>(filter.getLabelSelectorMap());
        labelFilter.put(KubeLabels.TYPE, KubeLabels.TYPE_SANDBOX);
        List<Container> containers;
        try {
            containers = docker.listContainersCmd().withShowAll(true).withLabelFilter(labelFilter).exec();
        } catch (RuntimeException e) {
            throw DockerErrors.map(e, "list", "pod sandboxes");
        }
        for (Container c : containers) {
            String name = c.getNames() == null || c.getNames().length == 0 ? "" : c.getNames()[0];
            listed(filter, c.getId(), name, c.getLabels(), c.getState(), c.getCreated() == null ? 0 : c.getCreated(), out);
        }
        return out.build();
    }

    /** Adds the sandbox to the answer when the filter lets it through; Docker's list fields in, whichever gave them. */
    private static void listed(PodSandboxFilter filter, String id, String name, Map<String, String> labels, String dockerState,
                               long createdSeconds, ListPodSandboxResponse.Builder out) {
        if (!filter.getId().isEmpty() && !id.startsWith(filter.getId())) {
            return;
        }
        PodSandboxState state = "running".equals(dockerState) ? PodSandboxState.SANDBOX_READY : PodSandboxState.SANDBOX_NOTREADY;
        if (filter.hasState() && filter.getState().getState() != state) {
            return;
        }
        if (labels == null || !KubeLabels.TYPE_SANDBOX.equals(labels.get(KubeLabels.TYPE))
                || !KubeLabels.matches(labels, filter.getLabelSelectorMap())) {
            return;
        }
        out.addItems(PodSandbox.newBuilder()
                .setId(id)
                .setMetadata(metadata(name, labels))
                .setState(state)
                .setCreatedAt(createdSeconds * 1_000_000_000L)
                .putAllLabels(KubeLabels.criLabels(labels))
                .putAllAnnotations(KubeLabels.criAnnotations(labels))
                .setRuntimeHandler(labels.getOrDefault(KubeLabels.RUNTIME_HANDLER, "")));
    }

    /** Pod metadata from the labels, the attempt from the Docker name. */
    static PodSandboxMetadata metadata(String dockerName, Map<String, String> labels) {
        PodSandboxMetadata.Builder b = PodSandboxMetadata.newBuilder()
                .setName(labels.getOrDefault(KubeLabels.POD_NAME, ""))
                .setNamespace(labels.getOrDefault(KubeLabels.POD_NAMESPACE, ""))
                .setUid(labels.getOrDefault(KubeLabels.POD_UID, ""));
        DockerNames.parse(dockerName).ifPresent(p -> b.setAttempt(p.attempt()));
        return b.build();
    }

    static String namespacesLabel(NamespaceOption ns) {
        String s = "network=" + ns.getNetwork().name() + ",pid=" + ns.getPid().name() + ",ipc=" + ns.getIpc().name();
        return ns.getTargetId().isEmpty() ? s : s + ",target=" + ns.getTargetId();
    }

    static NamespaceOption parseNamespaces(String label) {
        NamespaceOption.Builder b = NamespaceOption.newBuilder();
        if (label == null) {
            return b.build();
        }
        for (String part : label.split(",")) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                continue;
            }
            String key = part.substring(0, eq);
            String value = part.substring(eq + 1);
            try {
                switch (key) {
                    case "network" -> b.setNetwork(NamespaceMode.valueOf(value));
                    case "pid" -> b.setPid(NamespaceMode.valueOf(value));
                    case "ipc" -> b.setIpc(NamespaceMode.valueOf(value));
                    case "target" -> b.setTargetId(value);
                    default -> { }
                }
            } catch (IllegalArgumentException ignored) {
                // a mode this build does not know: leave the default
            }
        }
        return b.build();
    }
}
