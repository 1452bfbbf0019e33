package dev.skiff.kubelet;

import dev.skiff.cri.CriRuntime;
import dev.skiff.cri.docker.DockerCriRuntime;
import dev.skiff.cri.docker.DockerShimConfig;
import dev.skiff.cri.remote.RemoteCriRuntime;
import dev.skiff.cri.v1.VersionRequest;
import dev.skiff.cri.v1.VersionResponse;
import dev.skiff.kubelet.admission.NodeInfo;
import dev.skiff.kubelet.config.KubeletConfiguration;
import dev.skiff.kubelet.config.KubeletSettings;
import dev.skiff.kubelet.config.RuntimeEndpoint;
import dev.skiff.kubelet.kuberuntime.ContainerConfigFactory;
import dev.skiff.kubelet.kuberuntime.NodeFacts;
import dev.skiff.kubelet.kuberuntime.SandboxConfigFactory;
import dev.skiff.kubelet.kuberuntime.actions.ImagePuller;
import dev.skiff.kubelet.kuberuntime.manager.ContainerGc;
import dev.skiff.kubelet.kuberuntime.manager.ContainerStarter;
import dev.skiff.kubelet.kuberuntime.manager.KubeRuntimeManager;
import dev.skiff.kubelet.kuberuntime.manager.PodKiller;
import dev.skiff.kubelet.kuberuntime.manager.RuntimePods;
import dev.skiff.kubelet.kuberuntime.manager.SandboxStarter;
import dev.skiff.kubelet.logs.ContainerLogManager;
import dev.skiff.kubelet.pleg.GenericPleg;
import dev.skiff.kubelet.pod.StaticPodLoader;
import dev.skiff.kubelet.server.KubeletServer;
import dev.skiff.kubelet.server.ManifestError;
import dev.skiff.kubelet.source.FileSource;
import dev.skiff.kubelet.source.ObjectStore;
import dev.skiff.kubelet.source.PodConfig;
import dev.skiff.kubelet.status.CriPodViewLoader;
import dev.skiff.kubelet.status.StatusManager;
import dev.skiff.kubelet.worker.CrashLoopBackOff;
import dev.skiff.kubelet.worker.PodWorkers;
import dev.skiff.volume.NodeResources;
import dev.skiff.volume.VolumeManager;
import dev.skiff.volume.VolumePaths;
import dev.skiff.volume.mount.LinuxMounter;
import dev.skiff.volume.mount.Mounter;
import dev.skiff.volume.plugin.StandardPlugins;
import dev.skiff.volume.plugin.VolumeDirs;
import dev.skiff.volume.pv.PersistentVolumeController;
import io.fabric8.kubernetes.api.model.ListMeta;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimList;
import io.fabric8.kubernetes.api.model.PersistentVolumeList;
import io.fabric8.kubernetes.api.model.Pod;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * A running kubelet: the parts wired together, started in dependency order and closed in reverse. Closing
 * stops the kubelet, not its pods: they keep running and a new kubelet adopts them, as upstream.
 */
public final class Kubelet implements AutoCloseable {
    /** Upstream's runtime-request-timeout default. */
    static final Duration RUNTIME_REQUEST_TIMEOUT = Duration.ofMinutes(2);
    private static final Logger log = LoggerFactory.getLogger(Kubelet.class);

    private final List<AutoCloseable> closeInReverse = new ArrayList<>();
    private final List<KubeletServer> servers = new ArrayList<>();
    private KubeletServer readOnly;
    private volatile boolean closed;

    private Kubelet() {
    }

    /**
     * Connects to the runtime and starts every part; on failure closes what started and throws.
     *
     * @throws KubeletStartException with a one-line reason (runtime unreachable, port taken, bad directory)
     */
    public static Kubelet start(KubeletSettings settings) throws KubeletStartException {
        Kubelet k = new Kubelet();
        try {
            k.startParts(settings);
            return k;
        } catch (KubeletStartException e) {
            k.close();
            throw e;
        } catch (RuntimeException | IOException e) {
            k.close();
            throw new KubeletStartException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
        }
    }

    private void startParts(KubeletSettings s) throws KubeletStartException, IOException {
        KubeletConfiguration c = s.config();
        Clock clock = Clock.systemUTC();
        CriRuntime cri = connect(s);
        closeInReverse.add(cri);
        String runtimeName;
        try {
            VersionResponse v = cri.runtime().version(VersionRequest.getDefaultInstance());
            runtimeName = v.getRuntimeName();
            log.info("container runtime {} {} (CRI {}) via {}", v.getRuntimeName(), v.getRuntimeVersion(),
                    v.getRuntimeApiVersion(), s.runtimeEndpoint());
        } catch (RuntimeException e) {
            throw new KubeletStartException("container runtime " + s.runtimeEndpoint() + " does not answer: "
                    + ImagePuller.goError(e) + " (is it running? check --container-runtime-endpoint)", e);
        }

        MachineInfo machine = MachineInfo.current();
        List<String> nodeIps = NodeAddresses.detect(s.nodeIPs(), s.nodeName());
        VolumeDirs.mkdirs(s.rootDir().resolve("pods"), VolumeDirs.PRIVATE_DIR_MODE);
        // resolved once: mount points in the mount table are real paths, and a symlinked root dir must match them
        Path rootDir = s.rootDir().toRealPath();
        NodeFacts node = new NodeFacts(s.nodeName(), c.clusterDomain(), c.clusterDNS(),
                c.resolvConf().isEmpty() ? null : Path.of(c.resolvConf()), nodeIps, Path.of(c.podLogsDir()),
                rootDir, Path.of("/etc/hosts"), machine.cpus() * 1000L, machine.memoryBytes());
        Files.createDirectories(node.podLogsDir());
        log.info("node {} ({}), labels {}, root dir {}, pod logs {}", s.nodeName(), nodeIps, s.nodeLabels(), rootDir,
                node.podLogsDir());

        AtomicReference<VolumeManager> volumesRef = new AtomicReference<>();
        AtomicReference<PersistentVolumeController> claimsRef = new AtomicReference<>();
        ObjectStore objects = new ObjectStore(() -> {
            VolumeManager v = volumesRef.get();
            if (v != null) {
                v.objectsChanged(); // configMap and secret volumes pick up the change
            }
            PersistentVolumeController pv = claimsRef.get();
            if (pv != null) {
                pv.objectsChanged(); // claims bind, volumes are provisioned or released now
            }
        });
        AtomicReference<PodWorkers<Pod>> workersRef = new AtomicReference<>();
        AtomicReference<GenericPleg> plegRef = new AtomicReference<>();
        PodManager pods = new PodManager();
        AtomicReference<SyncLoop> loopRef = new AtomicReference<>();
        PersistentVolumeController claims = new PersistentVolumeController(rootDir, new KubeletStorageObjects(objects, pods,
                () -> loopRef.get() != null && loopRef.get().sourcesReady()));
        claims.start();
        claimsRef.set(claims);
        closeInReverse.add(claims);
        Mounter mounter = new LinuxMounter();
        VolumeManager volumes = new VolumeManager(new VolumePaths(rootDir), new KubeletPodState(pods, workersRef::get,
                () -> plegRef.get() == null ? null : plegRef.get().pods()),
                mounter, StandardPlugins.create(new VolumeDirs(mounter), objects,
                new NodeResources(node.allocatableMilliCpu(), node.memoryCapacityBytes()), new BoundClaims(claims), rootDir));
        volumesRef.set(volumes);
        closeInReverse.add(volumes);

        CrashLoopBackOff backoff = new CrashLoopBackOff();
        PodKiller killer = new PodKiller(cri.runtime());
        closeInReverse.add(killer);
        KubeRuntimeManager manager = new KubeRuntimeManager(
                new SandboxStarter(cri.runtime(), new SandboxConfigFactory(node), node),
                new ContainerStarter(cri, new ImagePuller(new CrashLoopBackOff(), clock, c.serializeImagePulls(),
                        ImagePuller.DEFAULT_LOCK_TIMEOUT),
                        new ContainerConfigFactory(node, objects, volumes::prepareSubPath),
                        backoff, volumes::mountedVolumes, clock),
                killer, new ContainerGc(cri.runtime()));

        StatusManager statuses = new StatusManager(clock);
        WorkQueue queue = new WorkQueue();
        PodDirs dirs = new PodDirs();
        KubeletPodSyncer syncer = new KubeletPodSyncer(new RuntimePods(cri.runtime()), new CriPodViewLoader(cri.runtime()),
                manager, backoff, statuses, node, runtimeName, pods, queue, c.syncFrequency(), dirs, volumes, clock);
        PodWorkers<Pod> workers = new PodWorkers<>(syncer);
        workersRef.set(workers);
        closeInReverse.add(workers);
        // a pod held back by a volume that can now be set up syncs at the next tick, not after its error back-off
        volumes.onVolumeRecovered(uid -> queue.enqueue(uid, clock.instant(), Duration.ZERO));
        volumes.start();


        ContainerLogManager logs = new ContainerLogManager(cri.runtime(), c.containerLogMaxSize().longValue(),
                c.containerLogMaxFiles(), ContainerLogManager.DEFAULT_MONITORING_PERIOD, clock);
        closeInReverse.add(logs);
        logs.start();

        GenericPleg pleg = new GenericPleg(cri.runtime());
        closeInReverse.add(pleg);
        pleg.start();
        plegRef.set(pleg);

        PodConfig config = new PodConfig();
        Set<String> sources = s.staticPodPath().isPresent() ? Set.of(FileSource.SOURCE) : Set.of();
        Housekeeping housekeeping = new Housekeeping(pods, workers, pleg, statuses, backoff, rootDir.resolve("pods"), dirs,
                volumes::podHasVolumes);
        SyncLoop loop = new SyncLoop(config, sources, pleg, pods, workers,
                new NodeInfo(s.nodeName(), s.nodeLabels(), c.maxPods()), statuses, housekeeping, queue, clock);
        closeInReverse.add(loop);
        loop.start();
        loopRef.set(loop);

        Optional<FileSource> files = Optional.empty();
        if (s.staticPodPath().isPresent()) {
            FileSource fs = new FileSource(s.staticPodPath().get(), new StaticPodLoader(s.nodeName()),
                    FileSource.Options.DEFAULTS.withFileCheckFrequency(c.fileCheckFrequency()), snapshot -> {
                        objects.accept(snapshot); // objects first: a pod's configMapKeyRef finds them
                        config.accept(snapshot);
                    });
            closeInReverse.add(fs);
            fs.start();
            files = Optional.of(fs);
            log.info("watching static pods in {} (full rescan every {})", fs.directory(), c.fileCheckFrequency());
        } else {
            log.info("no static pod path configured: no pods will run");
        }

        List<Supplier<Optional<String>>> checks = List.of(
                () -> pleg.healthy() ? Optional.empty()
                        : Optional.of("pleg: no successful relist within " + GenericPleg.DEFAULT_RELIST_THRESHOLD.toMinutes() + "m"),
                loop::health,
                () -> loop.sourcesReady() ? Optional.empty() : Optional.of("sources: waiting for " + sources));
        Optional<FileSource> fileSource = files;
        Supplier<List<ManifestError>> errors = () -> fileSource.map(f -> ManifestError.from(f.errors())).orElse(List.of());
        if (c.readOnlyPort() > 0) {
            InetSocketAddress at = new InetSocketAddress(readOnlyBindAddress(c.address()), c.readOnlyPort());
            try {
                readOnly = KubeletServer.start(at, checks, statuses::pods, errors, storageLists(claims));
            } catch (IOException e) {
                throw new KubeletStartException("cannot serve the read-only port on " + at + ": " + e.getMessage()
                        + " (another kubelet running? pick a free --read-only-port, or 0 to turn it off)", e);
            }
            servers.add(readOnly);
        }
        if (c.healthzPort() > 0) {
            try {
                servers.add(KubeletServer.start(new InetSocketAddress(c.healthzBindAddress(), c.healthzPort()), checks,
                        statuses::pods, errors));
            } catch (IOException e) {
                // upstream logs and carries on without the healthz endpoint
                log.error("cannot serve healthz on {}:{}: {}", c.healthzBindAddress(), c.healthzPort(), e.getMessage());
            }
        }
        log.info("kubelet started on node {}", s.nodeName());
    }

    /** {@code /persistentvolumes} and {@code /persistentvolumeclaims}: the objects with Skiff's own status. */
    private static Map<String, Supplier<?>> storageLists(PersistentVolumeController claims) {
        return Map.of(
                "/persistentvolumes", () -> new PersistentVolumeList("v1", new ArrayList<>(claims.persistentVolumes()),
                        "PersistentVolumeList", new ListMeta()),
                "/persistentvolumeclaims", () -> new PersistentVolumeClaimList("v1",
                        new ArrayList<>(claims.persistentVolumeClaims()), "PersistentVolumeClaimList", new ListMeta()));
    }

    /** The read-only port is unauthenticated: on a wildcard address it binds loopback only. */
    static String readOnlyBindAddress(String address) {
        return address == null || address.isEmpty() || address.equals("0.0.0.0") || address.equals("::")
                ? "127.0.0.1" : address;
    }

    private static CriRuntime connect(KubeletSettings s) throws KubeletStartException {
        try {
            if (s.runtimeEndpoint() instanceof RuntimeEndpoint.RemoteCri remote) {
                s.podInfraContainerImage().ifPresent(i -> log.info(
                        "--pod-infra-container-image {} is not sent to a remote runtime: it picks its own sandbox image", i));
                return RemoteCriRuntime.connect(remote.endpoint(), RUNTIME_REQUEST_TIMEOUT);
            }
            RuntimeEndpoint.InProcessDocker docker = (RuntimeEndpoint.InProcessDocker) s.runtimeEndpoint();
            return DockerCriRuntime.connect(new DockerShimConfig(docker.dockerEndpoint(),
                    s.podInfraContainerImage().orElse(null)));
        } catch (RuntimeException e) {
            throw new KubeletStartException("cannot connect to " + s.runtimeEndpoint() + ": " + ImagePuller.goError(e), e);
        }
    }

    /** The bound address of the read-only server, when it runs. */
    public Optional<InetSocketAddress> readOnlyAddress() {
        return readOnly == null ? Optional.empty() : Optional.of(readOnly.address());
    }

    /** Stops the kubelet (not its pods). Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (KubeletServer server : servers) {
            server.close();
        }
        for (int i = closeInReverse.size() - 1; i >= 0; i--) {
            try {
                closeInReverse.get(i).close();
            } catch (Exception e) {
                log.warn("closing {}: {}", closeInReverse.get(i).getClass().getSimpleName(), e.toString());
            }
        }
        log.info("kubelet stopped");
    }

    /** The kubelet cannot start; the message says why in one line. */
    public static final class KubeletStartException extends Exception {
        public KubeletStartException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
