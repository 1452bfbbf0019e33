package dev.skiff.kubelet;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.CriRuntime;
import dev.skiff.cri.docker.DockerCriRuntime;
import dev.skiff.cri.docker.DockerShimConfig;
import dev.skiff.cri.docker.PauseImage;
import dev.skiff.cri.remote.RemoteCriRuntime;
import dev.skiff.cri.v1.VersionResponse;
import dev.skiff.kubelet.admission.NodeInfo;
import dev.skiff.kubelet.config.KubeletConfiguration;
import dev.skiff.kubelet.config.KubeletSettings;
import dev.skiff.kubelet.dns.ClusterDns;
import dev.skiff.kubelet.dns.DnsIndexer;
import dev.skiff.kubelet.config.RuntimeEndpoint;
import dev.skiff.kubelet.controller.ControllerManager;
import dev.skiff.kubelet.controller.ControllerStore;
import dev.skiff.kubelet.controller.Controllers;
import dev.skiff.kubelet.gc.GarbageCollector;
import dev.skiff.kubelet.gc.ImageGcPolicy;
import dev.skiff.kubelet.gc.PodOwnership;
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
import dev.skiff.kubelet.logs.ContainerLogs;
import dev.skiff.kubelet.metrics.KubeletMetrics;
import dev.skiff.kubelet.metrics.ProberMetrics;
import dev.skiff.kubelet.nodeshutdown.LogindInhibitor;
import dev.skiff.kubelet.nodeshutdown.NodeShutdownManager;
import dev.skiff.kubelet.nodeshutdown.PodWorkersKillPod;
import dev.skiff.kubelet.pleg.GenericPleg;
import dev.skiff.kubelet.pod.ManifestLimits;
import dev.skiff.kubelet.pod.StaticPodLoader;
import dev.skiff.kubelet.prober.ProbeManager;
import dev.skiff.kubelet.prober.ProberThreads;
import dev.skiff.kubelet.prober.results.ProbeResult;
import dev.skiff.kubelet.lifecycle.LifecycleThreads;
import dev.skiff.kubelet.worker.ElasticPool;
import dev.skiff.kubelet.server.Configz;
import dev.skiff.kubelet.server.DefaultRoutes;
import dev.skiff.kubelet.server.Healthz;
import dev.skiff.kubelet.server.HttpThreads;
import dev.skiff.kubelet.server.KubeletServer;
import dev.skiff.kubelet.server.LogsDirectory;
import dev.skiff.kubelet.server.Route;
import dev.skiff.kubelet.server.RunningPods;
import dev.skiff.kubelet.server.SecurePort;
import dev.skiff.kubelet.server.StallChecks;
import dev.skiff.kubelet.server.ContainerLogsRoute;
import dev.skiff.kubelet.server.streaming.StreamTargets;
import dev.skiff.kubelet.server.streaming.StreamingRoutes;
import dev.skiff.kubelet.server.ManifestError;
import dev.skiff.kubelet.server.MetricsRoute;
import dev.skiff.kubelet.server.SummaryRoute;
import dev.skiff.kubelet.source.FileSource;
import dev.skiff.kubelet.source.ObjectStore;
import dev.skiff.kubelet.source.PodConfig;
import dev.skiff.kubelet.source.SourceSnapshot;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import dev.skiff.kubelet.stats.KubeletStats;
import dev.skiff.kubelet.status.CriPodViewLoader;
import dev.skiff.kubelet.status.StatusManager;
import dev.skiff.kubelet.events.EventObjects;
import dev.skiff.kubelet.events.EventStore;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import dev.skiff.kubelet.server.Endpoint;
import dev.skiff.kubelet.worker.CrashLoopBackOff;
import dev.skiff.kubelet.worker.PodWorkers;
import dev.skiff.kubelet.worker.UpdatePodOptions;
import dev.skiff.kubelet.worker.UpdateType;
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
import io.fabric8.kubernetes.api.model.PodStatus;
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
import java.util.concurrent.CancellationException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A running kubelet: the parts wired together, started in dependency order and closed in reverse. Closing
 * stops the kubelet, not its pods: they keep running and a new kubelet adopts them, as upstream.
 */
public final class Kubelet implements AutoCloseable {
    /** Upstream's runtime-request-timeout default. */
    static final Duration RUNTIME_REQUEST_TIMEOUT = Duration.ofMinutes(2);
    /** Image checks and pulls in flight at once (serialized pulls wait in line on these threads). */
    static final int MAX_PULL_THREADS = 64;
    private static final Logger log = LoggerFactory.getLogger(Kubelet.class);

    private final List<AutoCloseable> closeInReverse = new ArrayList<>();
    private final List<KubeletServer> servers = new ArrayList<>();
    private volatile KubeletStats stats;
    private final KubeletSettings settings;
    private final Consumer<String> statusReport;
    private final RuntimeConnector connector;
    private final Clock clock = Clock.systemUTC();
    private final StatusManager statuses = new StatusManager(clock);
    private final EventStore events = new EventStore(clock);
    private final KubeletMetrics metrics;
    private final ProberMetrics probeMetrics = new ProberMetrics();
    /** /metrics/cadvisor and /metrics/resource: empty until the runtime answered and the stats parts started. */
    private volatile KubeletServer readOnly;
    private volatile KubeletServer secure;
    private volatile HttpThreads httpThreads;
    private volatile GenericPleg pleg;
    /** /containerLogs: set once the runtime answered. */
    private volatile ContainerLogs containerLogs;
    /** /exec, /attach, /portForward, /run: set once the runtime answered. */
    private volatile RuntimeService streamingRuntime;
    private volatile SyncLoop loop;
    /** Workloads: set once the runtime answered and a manifest directory is configured. */
    private volatile ControllerManager controllerManager;
    private volatile boolean closed;

    /**
     * @param statusReport told, in one line, what the kubelet is doing as it starts (for systemd's STATUS=)
     */
    public Kubelet(KubeletSettings settings, Consumer<String> statusReport) {
        this.settings = settings;
        this.statusReport = statusReport;
        this.metrics = KubeletMetrics.create(settings.nodeName(), () -> {
            GenericPleg p = pleg;
            return p == null ? Map.of() : p.pods();
        });
        this.connector = new RuntimeConnector(settings.runtimeEndpoint().toString(),
                settings.runtimeEndpoint() instanceof RuntimeEndpoint.InProcessDocker
                        ? "--docker-endpoint" : "--container-runtime-endpoint", () -> metrics.instrument(connect(settings)));
    }

    /**
     * Starts every part; while the container runtime does not answer it waits (with back-off, {@code /healthz}
     * saying why) rather than failing. Returns once started, or early when {@link #close()} was called meanwhile.
     *
     * @throws KubeletStartException with a one-line reason (port taken, bad directory)
     */
    public void start() throws KubeletStartException, InterruptedException {
        try {
            startParts(settings);
        } catch (CancellationException e) {
            log.info("kubelet closed while starting");
        } catch (KubeletStartException e) {
            close();
            throw e;
        } catch (RuntimeException | IOException e) {
            close();
            throw new KubeletStartException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
        }
    }

    /** Registers a started part to be closed in reverse order; closes it at once when the kubelet closed meanwhile. */
    private synchronized <T extends AutoCloseable> T closeLater(T part) {
        if (closed) {
            try {
                part.close();
            } catch (Exception e) {
                log.warn("closing {}: {}", part.getClass().getSimpleName(), e.toString());
            }
            throw new CancellationException("kubelet closed while starting");
        }
        closeInReverse.add(part);
        return part;
    }

    private void startParts(KubeletSettings s) throws KubeletStartException, IOException, InterruptedException {
        KubeletConfiguration c = s.config();
        MachineInfo machine = MachineInfo.current();
        List<String> nodeIps = NodeAddresses.detect(s.nodeIPs(), s.nodeName());
        VolumeDirs.mkdirs(s.rootDir().resolve("pods"), VolumeDirs.PRIVATE_DIR_MODE);
        // resolved once: mount points in the mount table are real paths, and a symlinked root dir must match them
        Path rootDir = s.rootDir().toRealPath();
        // cluster DNS first: what ClusterFirst pods are told depends on whether it could listen
        AtomicReference<ObjectStore> objectsRef = new AtomicReference<>();
        DnsIndexer dnsRecords = closeLater(new DnsIndexer(c.clusterDomain().isEmpty() ? "cluster.local" : c.clusterDomain(),
                () -> Optional.ofNullable(objectsRef.get()).map(ObjectStore::services).orElse(List.of()), clock));
        ClusterDns clusterDns = closeLater(ClusterDns.start(c.clusterDNS(), s.embeddedDns() && !c.clusterDomain().isEmpty(),
                c.resolvConf().isEmpty() ? Path.of("/etc/resolv.conf") : Path.of(c.resolvConf()), dnsRecords));
        statuses.setListener(dnsRecords);
        NodeFacts node = new NodeFacts(s.nodeName(), c.clusterDomain(), clusterDns.nameservers(),
                c.resolvConf().isEmpty() ? null : Path.of(c.resolvConf()), nodeIps, Path.of(c.podLogsDir()),
                rootDir, Path.of("/etc/hosts"), machine.cpus() * 1000L, machine.memoryBytes());
        Files.createDirectories(node.podLogsDir());
        log.info("node {} ({}), labels {}, root dir {}, pod logs {}", s.nodeName(), nodeIps, s.nodeLabels(), rootDir,
                node.podLogsDir());
        HostLimits.warnIfLow();

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
            dnsRecords.servicesChanged(); // a headless Service's names come or go
        });
        objectsRef.set(objects);
        PodManager pods = new PodManager();
        PersistentVolumeController claims = new PersistentVolumeController(rootDir, new KubeletStorageObjects(objects, pods,
                () -> loop != null && loop.sourcesReady(), s.nodeLabels()));
        AtomicReference<FileSource> fileSource = new AtomicReference<>();
        // served from the start, so /healthz says why the kubelet is not up yet (e.g. Docker not answering)
        startServers(s, nodeIps, claims, () -> {
            List<ManifestError> errors = new ArrayList<>(Optional.ofNullable(fileSource.get())
                    .map(f -> ManifestError.from(f.errors())).orElse(List.of()));
            Optional.ofNullable(controllerManager).ifPresent(m -> m.errors().forEach(
                    e -> errors.add(new ManifestError(e.object(), 0, e.reason()))));
            return errors;
        });

        if (s.runtimeEndpoint() instanceof RuntimeEndpoint.RemoteCri) {
            s.podInfraContainerImage().ifPresent(i -> log.info(
                    "--pod-infra-container-image {} is not sent to a remote runtime: it picks its own sandbox image", i));
        }
        StaticPodLoader manifests = new StaticPodLoader(s.nodeName(), ManifestLimits.withMaxBytes(s.manifestMaxBytes()));
        if (s.staticPodPath().isPresent()) {
            // the first parse loads the pod model's classes (most of a second): done while the runtime connects
            Thread warmUp = new Thread(manifests::warmUp, "manifest-warm-up");
            warmUp.setDaemon(true);
            warmUp.start();
        }
        statusReport.accept("connecting to the container runtime " + s.runtimeEndpoint());
        Optional<RuntimeConnector.Connected> connected = connector.connect(statusReport);
        if (connected.isEmpty()) {
            return; // closed while waiting
        }
        CriRuntime cri = closeLater(connected.get().runtime()); // instrumented: every CRI call is counted
        containerLogs = new ContainerLogs(statuses::pods, cri.runtime(), clock);
        streamingRuntime = cri.runtime();
        VersionResponse v = connected.get().version();
        String runtimeName = v.getRuntimeName();
        log.info("container runtime {} {} (CRI {}) via {}", v.getRuntimeName(), v.getRuntimeVersion(),
                v.getRuntimeApiVersion(), s.runtimeEndpoint());

        claimsRef.set(closeLater(claims));
        claims.start();
        Mounter mounter = new LinuxMounter();
        AtomicReference<PodWorkers<Pod>> workersRef = new AtomicReference<>();
        VolumeManager volumes = closeLater(new VolumeManager(new VolumePaths(rootDir), new KubeletPodState(pods,
                workersRef::get, () -> pleg == null ? null : pleg.pods()),
                mounter, StandardPlugins.create(new VolumeDirs(mounter), objects,
                new NodeResources(node.allocatableMilliCpu(), node.memoryCapacityBytes()), new BoundClaims(claims), rootDir)));
        volumesRef.set(volumes);

        CrashLoopBackOff backoff = new CrashLoopBackOff();
        ProberThreads.Started prober = ProberThreads.startShared(cri.runtime(), statuses::statusView, events, clock,
                probeMetrics);
        ProbeManager probes = prober.manager();
        // hooks share the probes' Netty loop; kills and pulls wait on threads that exist only while they are in flight
        LifecycleThreads lifecycle = closeLater(new LifecycleThreads(cri.runtime(), prober.network(), events));
        PodKiller killer = closeLater(new PodKiller(cri.runtime(), lifecycle.hooks(), lifecycle.timer(), events,
                uid -> statuses.status(uid).map(PodStatus::getPodIP).filter(ip -> !ip.isEmpty())));
        ThreadPoolExecutor pulls = ElasticPool.create("image-pull-", MAX_PULL_THREADS, Duration.ofSeconds(30));
        closeLater(pulls::shutdownNow);
        KubeRuntimeManager manager = new KubeRuntimeManager(
                new SandboxStarter(cri.runtime(), new SandboxConfigFactory(node), node, metrics),
                new ContainerStarter(cri, new ImagePuller(new CrashLoopBackOff(), clock, c.serializeImagePulls(),
                        ImagePuller.DEFAULT_LOCK_TIMEOUT, events),
                        new ContainerConfigFactory(node, objects, volumes::prepareSubPath),
                        backoff, volumes::mountedVolumes, clock, events, pulls, lifecycle.hooks(), killer, metrics),
                killer, new ContainerGc(cri.runtime()), events);

        WorkQueue queue = new WorkQueue();
        PodDirs dirs = new PodDirs();
        KubeletPodSyncer syncer = new KubeletPodSyncer(new RuntimePods(cri.runtime()), new CriPodViewLoader(cri.runtime()),
                manager, backoff, statuses, node, runtimeName, pods, queue, c.syncFrequency(), dirs, volumes, probes, clock,
                events, metrics);
        PodWorkers<Pod> workers = closeLater(new PodWorkers<>(syncer, metrics));
        workersRef.set(workers);
        // closed before the workers: no probe result reaches a worker that stopped
        closeLater(probes);
        // upstream syncLoopIteration's probe channels: a changed result syncs the pod (status, or a liveness kill);
        // a readiness result reaches the status at once, as upstream's SetContainerReadiness
        probes.onReadinessUpdate(u -> statuses.setContainerReadiness(u.podUid(), u.containerId(),
                u.result() == ProbeResult.SUCCESS));
        probes.onUpdate(u -> pods.get(u.podUid()).filter(p -> pods.isAdmitted(u.podUid())).ifPresent(p ->
                workers.updatePod(new UpdatePodOptions<>(u.podUid(), p.getMetadata().getNamespace() + "/"
                        + p.getMetadata().getName(), UpdateType.SYNC, p))));
        // registered after the workers, so closed before them: lock released, watch stopped, pods left running
        NodeShutdownManager shutdown = closeLater(new NodeShutdownManager(c.shutdownGracePeriod(),
                c.shutdownGracePeriodCriticalPods(), LogindInhibitor.system(), () -> activePods(pods, workers),
                new PodWorkersKillPod(workers, statuses)));
        // a pod held back by a volume that can now be set up syncs at the next tick, not after its error back-off
        volumes.onVolumeRecovered(uid -> queue.enqueue(uid, clock.instant(), Duration.ZERO));
        volumes.onVolumeOperation(metrics.volumeOperations());
        volumes.start();

        ContainerLogManager logs = closeLater(new ContainerLogManager(cri.runtime(), c.containerLogMaxSize().longValue(),
                c.containerLogMaxFiles(), ContainerLogManager.DEFAULT_MONITORING_PERIOD, clock));
        logs.start();

        KubeletStats started = closeLater(KubeletStats.start(s.nodeName(), cri, rootDir, node.podLogsDir(),
                machine.memoryBytes(), pods::admitted, () -> pleg == null ? Map.of() : pleg.pods()));
        metrics.registry().register(started.volumeMetrics());
        stats = started;

        GenericPleg relister = closeLater(new GenericPleg(cri.runtime(), metrics));
        relister.start();
        pleg = relister;

        PodConfig config = new PodConfig();
        // workloads from the manifest directory: their pods are the "controller" source, their claims objects
        Optional<ControllerManager> controllers = s.staticPodPath().isEmpty() ? Optional.empty()
                : Optional.of(startControllers(s, rootDir, objects, config));
        Set<String> sources = s.staticPodPath().isPresent() ? Set.of(FileSource.SOURCE, ControllerManager.SOURCE) : Set.of();
        Housekeeping housekeeping = new Housekeeping(pods, workers, relister, statuses, backoff, rootDir.resolve("pods"),
                dirs, volumes::podHasVolumes);
        SyncLoop syncLoop = closeLater(new SyncLoop(config, sources, relister, pods, workers,
                new NodeInfo(s.nodeName(), s.nodeLabels(), c.maxPods()), statuses, housekeeping, queue, clock,
                shutdown::admit, events));
        syncLoop.start();
        loop = syncLoop;
        shutdown.start();

        Set<String> sandboxImages = s.runtimeEndpoint() instanceof RuntimeEndpoint.InProcessDocker
                ? Set.of(s.podInfraContainerImage().orElse(PauseImage.defaultImage()))
                : Set.of(); // a remote runtime chooses (and pins) its own sandbox image
        GarbageCollector gc = closeLater(new GarbageCollector(cri.runtime(), cri.images(),
                PodOwnership.of(syncLoop::sourcesReady, uid -> pods.isDesired(uid) || workers.state(uid).isPresent(),
                        rootDir.resolve("pods")),
                node.podLogsDir(),
                new ImageGcPolicy(c.imageGCHighThresholdPercent(), c.imageGCLowThresholdPercent(), c.imageMinimumGCAge()),
                sandboxImages, clock));
        gc.start();

        if (s.staticPodPath().isPresent()) {
            FileSource fs = closeLater(new FileSource(s.staticPodPath().get(), manifests,
                    FileSource.Options.DEFAULTS.withFileCheckFrequency(c.fileCheckFrequency()), snapshot -> {
                        objects.accept(snapshot); // objects first: a pod's configMapKeyRef finds them
                        config.accept(snapshot);
                        controllers.ifPresent(ControllerManager::workloadsChanged);
                    }));
            fs.start();
            fileSource.set(fs);
            log.info("watching static pods in {} (full rescan every {})", fs.directory(), c.fileCheckFrequency());
        } else {
            log.info("no static pod path configured: no pods will run");
        }
        statusReport.accept("syncing pods from " + (sources.isEmpty() ? "no sources" : s.staticPodPath().get()));
        log.info("kubelet started on node {}", s.nodeName());
    }

    /**
     * The workload controllers: persisted state loaded and its pods handed to {@code config} before this returns, so
     * a restart stops none of them; woken by pod status changes from here on.
     */
    private ControllerManager startControllers(KubeletSettings s, Path rootDir, ObjectStore objects, PodConfig config)
            throws IOException {
        ControllerManager m = closeLater(new ControllerManager(new ControllerStore(rootDir.resolve("controllers")),
                Controllers.standard(), objects::list, objects::get, statuses::status, new ControllerManager.Delivery() {
                    @Override
                    public void pods(List<Pod> pods) {
                        config.update(ControllerManager.SOURCE, pods);
                    }

                    @Override
                    public void claims(List<PersistentVolumeClaim> claims) {
                        objects.accept(new SourceSnapshot(ControllerManager.SOURCE, List.of(), List.copyOf(claims), Map.of()));
                    }
                }, clock, s.nodeName(), s.nodeLabels()));
        statuses.addListener(m);
        m.start();
        controllerManager = m;
        return m;
    }

    /** Upstream GetActivePods (filterOutInactivePods): admitted, not terminated, terminal only while terminating. */
    private List<Pod> activePods(PodManager pods, PodWorkers<Pod> workers) {
        List<Pod> out = new ArrayList<>();
        for (Pod p : pods.admitted()) {
            String uid = p.getMetadata().getUid();
            if (workers.isPodTerminated(uid)) {
                continue;
            }
            boolean terminal = statuses.status(uid).map(PodStatus::getPhase).map(StatusManager::isTerminal).orElse(false);
            if (!terminal || workers.isPodTerminationRequested(uid)) {
                out.add(p);
            }
        }
        return out;
    }

    private static boolean isReady(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getConditions() != null && pod.getStatus().getConditions()
                .stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private void startServers(KubeletSettings s, List<String> nodeIps, PersistentVolumeController claims,
                              Supplier<List<ManifestError>> errors) throws KubeletStartException {
        KubeletConfiguration c = s.config();
        List<Supplier<Optional<String>>> checks = List.of(connector::health, this::liveness, () -> {
            SyncLoop l = loop;
            if (l == null) {
                return Optional.of("syncloop: not started yet");
            }
            return l.sourcesReady() ? Optional.empty() : Optional.of("sources: not all seen yet");
        });
        Healthz healthz = new Healthz(checks)
                .with("syncloop", () -> StallChecks.syncLoop(Optional.ofNullable(loop).flatMap(SyncLoop::latestLoopEntry),
                        c.syncFrequency(), clock.instant()))
                .with("pleg", () -> {
                    GenericPleg p = pleg;
                    return StallChecks.pleg(p == null ? Optional.empty() : p.lastRelist(),
                            p == null ? GenericPleg.DEFAULT_RELIST_THRESHOLD : p.relistThreshold(), clock.instant());
                });
        List<Route> routes = new ArrayList<>(DefaultRoutes.readOnly(healthz, statuses::pods, errors));
        readOnlyLists(claims).forEach((path, e) -> routes.add(Route.json(path, Route.Kind.DEFAULT, e)));
        routes.add(MetricsRoute.of("/metrics", this::metricsRegistry));
        routes.add(MetricsRoute.of("/metrics/probes", this::probesRegistry));
        routes.add(MetricsRoute.ofText("/metrics/cadvisor", () -> Optional.ofNullable(stats).map(KubeletStats::cadvisor)));
        routes.add(MetricsRoute.ofText("/metrics/resource", () -> Optional.ofNullable(stats).map(KubeletStats::resource)));
        routes.add(SummaryRoute.of(() -> Optional.ofNullable(stats).map(KubeletStats::summary)));
        routes.addAll(debuggingRoutes(c));
        HttpThreads threads = new HttpThreads();
        httpThreads = threads;
        if (c.readOnlyPort() > 0) {
            InetSocketAddress at = new InetSocketAddress(readOnlyBindAddress(c.address()), c.readOnlyPort());
            try {
                readOnly = KubeletServer.start("read-only", at, DefaultRoutes.defaultsOnly(routes), Optional.empty(), threads);
            } catch (IOException e) {
                throw new KubeletStartException("cannot serve the read-only port on " + at + ": " + e.getMessage()
                        + " (another kubelet running? pick a free --read-only-port, or 0 to turn it off)", e);
            }
            servers.add(readOnly);
        }
        KubeletServer.Security security;
        try {
            security = SecurePort.security(s, nodeIps);
        } catch (SecurePort.SetupException e) {
            throw new KubeletStartException("cannot serve the secure port: " + e.getMessage(), e);
        }
        InetSocketAddress at = new InetSocketAddress(c.address(), c.port());
        try {
            secure = KubeletServer.start("secure", at, routes, Optional.of(security), threads);
        } catch (IOException e) {
            throw new KubeletStartException("cannot serve the secure port on " + at + ": " + e.getMessage()
                    + " (another kubelet running? pick a free --port)", e);
        }
        servers.add(secure);
        if (c.healthzPort() > 0) {
            try {
                servers.add(KubeletServer.start("healthz", new InetSocketAddress(c.healthzBindAddress(), c.healthzPort()),
                        DefaultRoutes.readOnly(healthz, statuses::pods, errors), Optional.empty(), threads));
            } catch (IOException e) {
                // upstream logs and carries on without the healthz endpoint
                log.error("cannot serve healthz on {}:{}: {}", c.healthzBindAddress(), c.healthzPort(), e.getMessage());
            }
        }
    }

    /** The secure port's own routes (upstream's debugging handlers that Skiff has). */
    private List<Route> debuggingRoutes(KubeletConfiguration c) {
        Endpoint running = Endpoint.of(() -> RunningPods.list(pleg == null ? List.of() : pleg.pods().values()));
        List<Route> routes = new ArrayList<>(List.of(
                Route.json("/runningpods/", Route.Kind.DEBUGGING, running),
                Route.json("/configz", Route.Kind.DEBUGGING, Endpoint.of(() -> Configz.of(c))),
                Route.get("/logs/*", Route.Kind.DEBUGGING, new LogsDirectory(LogsDirectory.DEFAULT_ROOT)),
                ContainerLogsRoute.of(() -> Optional.ofNullable(containerLogs))));
        StreamTargets targets = new StreamTargets(statuses::pods, uid -> Optional.ofNullable(streamingRuntime)
                .map(rt -> new RuntimePods(rt).list(uid, "", "")));
        routes.addAll(new StreamingRoutes(() -> Optional.ofNullable(streamingRuntime), targets).routes());
        return routes;
    }

    /**
     * Empty while the sync loop iterates and the PLEG relists (or while the kubelet still waits for the runtime, which
     * is progress, not a hang), else what is stuck: the systemd watchdog is fed only while this is empty.
     */
    public Optional<String> liveness() {
        GenericPleg p = pleg;
        if (p != null && !p.healthy()) {
            return Optional.of("pleg: no successful relist within " + GenericPleg.DEFAULT_RELIST_THRESHOLD.toMinutes() + "m");
        }
        SyncLoop l = loop;
        return l == null ? Optional.empty() : l.health();
    }

    /** True once the runtime answered and the sync loop has taken in every source's pods and cleaned up once. */
    public boolean initialSyncDone() {
        SyncLoop l = loop;
        return l != null && l.initialSyncDone();
    }

    /** One line on what the kubelet runs now, e.g. "running 12 pods (11 ready)", for systemd's STATUS=. */
    public String summary() {
        Optional<String> waiting = connector.health();
        if (waiting.isPresent()) {
            return "waiting for the container " + waiting.get();
        }
        if (!initialSyncDone()) {
            return "syncing pods";
        }
        List<Pod> all = statuses.pods();
        long ready = all.stream().filter(Kubelet::isReady).count();
        return "running " + all.size() + (all.size() == 1 ? " pod" : " pods") + " (" + ready + " ready)"
                + liveness().map(r -> "; unhealthy: " + r).orElse("");
    }

    /**
     * {@code /persistentvolumes} and {@code /persistentvolumeclaims} (the objects with Skiff's own status), and
     * {@code /events} ({@code ?pod=NAMESPACE/NAME} for one pod's).
     */
    private Map<String, Endpoint> readOnlyLists(PersistentVolumeController claims) {
        return Map.of(
                "/persistentvolumes", Endpoint.of(() -> new PersistentVolumeList("v1",
                        new ArrayList<>(claims.persistentVolumes()), "PersistentVolumeList", new ListMeta())),
                "/persistentvolumeclaims", Endpoint.of(() -> new PersistentVolumeClaimList("v1",
                        new ArrayList<>(claims.persistentVolumeClaims()), "PersistentVolumeClaimList", new ListMeta())),
                "/events", query -> {
                    String pod = query.get("pod");
                    if (pod != null && pod.split("/", -1).length != 2) {
                        throw new Endpoint.BadRequestException("pod must be NAMESPACE/NAME, got \"" + pod + "\"");
                    }
                    return EventObjects.list(events.list(pod), settings.nodeName());
                });
    }

    /** The read-only port is unauthenticated: on a wildcard address it binds loopback only. */
    static String readOnlyBindAddress(String address) {
        return address == null || address.isEmpty() || address.equals("0.0.0.0") || address.equals("::")
                ? "127.0.0.1" : address;
    }

    private static CriRuntime connect(KubeletSettings s) {
        if (s.runtimeEndpoint() instanceof RuntimeEndpoint.RemoteCri remote) {
            return RemoteCriRuntime.connect(remote.endpoint(), RUNTIME_REQUEST_TIMEOUT);
        }
        RuntimeEndpoint.InProcessDocker docker = (RuntimeEndpoint.InProcessDocker) s.runtimeEndpoint();
        return DockerCriRuntime.connect(new DockerShimConfig(docker.dockerEndpoint(), s.podInfraContainerImage().orElse(null),
                docker.streamingAddress()));
    }

    /** The bound address of the secure server, when it runs. */
    public Optional<InetSocketAddress> secureAddress() {
        return secure == null ? Optional.empty() : Optional.of(secure.address());
    }

    /** {@code /metrics}: the kubelet's metrics, running pods and containers, JVM and process metrics. */
    public PrometheusRegistry metricsRegistry() {
        return metrics.registry();
    }

    /** {@code /metrics/probes}: prober_probe_total and prober_probe_duration_seconds. */
    public PrometheusRegistry probesRegistry() {
        return probeMetrics.registry();
    }

    /** The stats parts (Summary API, cAdvisor and resource metrics, volume stats); empty until the runtime answered. */
    public Optional<KubeletStats> stats() {
        return Optional.ofNullable(stats);
    }

    /** The bound address of the read-only server, when it runs. */
    public Optional<InetSocketAddress> readOnlyAddress() {
        return readOnly == null ? Optional.empty() : Optional.of(readOnly.address());
    }

    /** Stops the kubelet (not its pods), also while it waits for the runtime. Idempotent. */
    @Override
    public void close() {
        connector.cancel(); // outside the lock: start() holds no lock while it waits, but be quick either way
        closeParts();
    }

    private synchronized void closeParts() {
        if (closed) {
            return;
        }
        closed = true;
        connector.cancel();
        for (KubeletServer server : servers) {
            server.close();
        }
        if (httpThreads != null) {
            httpThreads.close();
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
