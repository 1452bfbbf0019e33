package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.testing.TestDocker;
import dev.skiff.cri.testing.TestImages;
import dev.skiff.cri.v1.*;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/** The Docker shim on the real Docker Engine, through DockerCriRuntime; observed from inside containers and in Docker. */
class DockerRuntimeIT {
    private static DockerCriRuntime cri;
    private static RuntimeService rt;
    private static DockerClient docker;
    private static String busybox;

    private String ns;
    @TempDir
    Path tmp;

    @BeforeAll
    static void connect() {
        docker = TestDocker.client();
        busybox = TestImages.busybox(docker);
        cri = DockerCriRuntime.connect(new DockerShimConfig(TestDocker.ENDPOINT, null));
        rt = cri.runtime();
    }

    @AfterAll
    static void close() {
        if (cri != null) {
            cri.close();
        }
    }

    @BeforeEach
    void namespace() {
        ns = TestDocker.newNamespace("skiff-sbx");
    }

    @AfterEach
    void cleanup() {
        TestDocker.removeNamespace(ns);
    }

    // ---- helpers -------------------------------------------------------------------------

    private PodSandboxConfig.Builder pod(String name, NamespaceOption options) {
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace(ns).setUid(UUID.randomUUID().toString()).setAttempt(1))
                .setLogDirectory(tmp.resolve("logs").toString())
                .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(
                        LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(options)));
    }

    private static NamespaceOption nsOpts(NamespaceMode network, NamespaceMode pid) {
        return NamespaceOption.newBuilder().setNetwork(network).setPid(pid).setIpc(NamespaceMode.POD).build();
    }

    private String runPod(PodSandboxConfig config) {
        return rt.runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config).build()).getPodSandboxId();
    }

    private ContainerConfig.Builder ctr(String name, String script) {
        return ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName(name))
                .setImage(ImageSpec.newBuilder().setImage(busybox))
                .addCommand("sh").addArgs("-c").addArgs(script)
                .addMounts(Mount.newBuilder().setHostPath(tmp.toString()).setContainerPath("/out"))
                .setLogPath(name + "/0.log");
    }

    private String create(String sandboxId, PodSandboxConfig pod, ContainerConfig config) {
        return rt.createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(sandboxId).setConfig(config)
                .setSandboxConfig(pod).build()).getContainerId();
    }

    private String createAndStart(String sandboxId, PodSandboxConfig pod, ContainerConfig config) {
        String id = create(sandboxId, pod, config);
        rt.startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
        return id;
    }

    private ContainerStatus status(String id) {
        return rt.containerStatus(ContainerStatusRequest.newBuilder().setContainerId(id).build()).getStatus();
    }

    private ContainerStatus awaitExit(String id) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            ContainerStatus s = status(id);
            if (s.getState() == ContainerState.CONTAINER_EXITED) {
                return s;
            }
            Thread.sleep(100);
        }
        fail("container " + id + " did not exit within 30 s: " + status(id));
        return null;
    }

    private String read(String file) throws IOException {
        return Files.readString(tmp.resolve(file), StandardCharsets.UTF_8);
    }

    private List<Container> containersOfNs() {
        return rt.listContainers(ListContainersRequest.newBuilder().setFilter(ContainerFilter.newBuilder()
                .putLabelSelector(KubeLabels.POD_NAMESPACE, ns)).build()).getContainersList();
    }

    private static void assertCode(Status.Code code, String mentions, org.junit.jupiter.api.function.Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription() != null && e.getStatus().getDescription().contains(mentions),
                "message should name " + mentions + ": " + e.getStatus().getDescription());
    }

    // ---- tests ---------------------------------------------------------------------------

    @Test
    void fullLifecycleWithNamesLabelsDnsHostnameAndReadOnlyMount() throws Exception {
        Path ro = Files.createDirectories(tmp.resolve("ro"));
        DNSConfig dns = DNSConfig.newBuilder().addServers("10.96.0.10").addSearches(ns + ".svc.cluster.local")
                .addSearches("cluster.local").addOptions("ndots:5").build();
        PodSandboxConfig pod = pod("web", nsOpts(NamespaceMode.POD, NamespaceMode.POD))
                .setHostname("web-host").setDnsConfig(dns)
                .putLabels("app", "web").putAnnotations("note", "hello")
                .addPortMappings(PortMapping.newBuilder().setContainerPort(80).setHostPort(0))
                .build();
        String sandboxId = runPod(pod);

        // Sandbox: name, labels, IPC shareable, status with pod IP.
        InspectContainerResponse sb = docker.inspectContainerCmd(sandboxId).exec();
        PodSandboxMetadata meta = pod.getMetadata();
        assertEquals("/k8s_POD_web_" + ns + "_" + meta.getUid() + "_1", sb.getName());
        Map<String, String> sbLabels = sb.getConfig().getLabels();
        assertEquals("web", sbLabels.get("io.kubernetes.pod.name"));
        assertEquals(ns, sbLabels.get("io.kubernetes.pod.namespace"));
        assertEquals(meta.getUid(), sbLabels.get("io.kubernetes.pod.uid"));
        assertEquals("podsandbox", sbLabels.get("io.kubernetes.docker.type"));
        assertEquals("web", sbLabels.get("app"));
        assertEquals("hello", sbLabels.get("annotation.note"));
        assertEquals("shareable", sb.getHostConfig().getIpcMode());
        PodSandboxStatus sbs = rt.podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(sandboxId.substring(0, 12)).build()).getStatus();
        assertEquals(sandboxId, sbs.getId());
        assertEquals(PodSandboxState.SANDBOX_READY, sbs.getState());
        assertEquals(meta, sbs.getMetadata());
        assertTrue(sbs.getNetwork().getIp().matches("\\d+\\.\\d+\\.\\d+\\.\\d+"), sbs.getNetwork().getIp());
        assertEquals("web", sbs.getLabelsMap().get("app"));
        assertEquals(Map.of("note", "hello"), sbs.getAnnotationsMap());
        assertEquals(nsOpts(NamespaceMode.POD, NamespaceMode.POD), sbs.getLinux().getNamespaces().getOptions());
        assertTrue(sbs.getCreatedAt() > 0);

        // Container: observed from inside.
        ContainerConfig config = ctr("app",
                "hostname > /out/hostname; cat /etc/resolv.conf > /out/resolv.conf;"
                        + " if echo x > /ro/f 2>/dev/null; then echo writable > /out/ro-result; else echo refused > /out/ro-result; fi;"
                        + " echo $GREETING > /out/env; pwd > /out/pwd; exit 3")
                .addMounts(Mount.newBuilder().setHostPath(ro.toString()).setContainerPath("/ro").setReadonly(true))
                .addEnvs(KeyValue.newBuilder().setKey("GREETING").setValue("hi there"))
                .setWorkingDir("/tmp")
                .putLabels("role", "main").putAnnotations("ctr-note", "x")
                .setMetadata(ContainerMetadata.newBuilder().setName("app").setAttempt(2))
                .build();
        String id = create(sandboxId, pod, config);
        ContainerStatus created = status(id);
        assertEquals(ContainerState.CONTAINER_CREATED, created.getState());
        InspectContainerResponse ci = docker.inspectContainerCmd(id).exec();
        assertEquals("/k8s_app_web_" + ns + "_" + meta.getUid() + "_2", ci.getName());
        Map<String, String> cl = ci.getConfig().getLabels();
        assertEquals("app", cl.get("io.kubernetes.container.name"));
        assertEquals("container", cl.get("io.kubernetes.docker.type"));
        assertEquals(sandboxId, cl.get("io.kubernetes.sandbox.id"));
        assertEquals("web", cl.get("io.kubernetes.pod.name"));
        assertEquals(ns, cl.get("io.kubernetes.pod.namespace"));
        assertEquals(meta.getUid(), cl.get("io.kubernetes.pod.uid"));
        assertEquals(tmp.resolve("logs").resolve("app/0.log").toString(), cl.get("io.kubernetes.container.logpath"));
        assertEquals("main", cl.get("role"));
        assertEquals("x", cl.get("annotation.ctr-note"));
        assertEquals("container:" + sandboxId, ci.getHostConfig().getNetworkMode());
        assertEquals("container:" + sandboxId, ci.getHostConfig().getIpcMode());

        rt.startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
        ContainerStatus exited = awaitExit(id);
        assertEquals(3, exited.getExitCode());
        assertEquals("Error", exited.getReason());
        assertTrue(exited.getStartedAt() >= exited.getCreatedAt() && exited.getFinishedAt() >= exited.getStartedAt()
                && exited.getCreatedAt() > 0, exited.toString());
        assertEquals(busybox, exited.getImage().getImage());
        assertTrue(exited.getImageRef().startsWith("sha256:"), exited.getImageRef());
        assertEquals("main", exited.getLabelsMap().get("role"));
        assertEquals(Map.of("ctr-note", "x"), exited.getAnnotationsMap());
        assertEquals(tmp.resolve("logs").resolve("app/0.log").toString(), exited.getLogPath());
        assertEquals(2, exited.getMetadata().getAttempt());
        assertTrue(exited.getMountsList().stream().anyMatch(m -> m.getContainerPath().equals("/ro") && m.getReadonly()), exited.getMountsList().toString());

        assertEquals("web-host", read("hostname").trim());
        assertEquals(SandboxService.resolvConf(dns), read("resolv.conf"));
        assertEquals("refused", read("ro-result").trim());
        assertFalse(Files.exists(ro.resolve("f")));
        assertEquals("hi there", read("env").trim());
        assertEquals("/tmp", read("pwd").trim());

        // A second, completing container; list filters.
        String ok = createAndStart(sandboxId, pod, ctr("ok", "exit 0").build());
        assertEquals("Completed", awaitExit(ok).getReason());
        String sleeper = createAndStart(sandboxId, pod, ctr("sleeper", "sleep 300").build());
        assertEquals(ContainerState.CONTAINER_RUNNING, status(sleeper).getState());
        assertEquals(Set.of(id, ok, sleeper), containersOfNs().stream().map(Container::getId).collect(Collectors.toSet()));
        assertEquals(List.of(sleeper), ids(ContainerFilter.newBuilder().setPodSandboxId(sandboxId)
                .setState(ContainerStateValue.newBuilder().setState(ContainerState.CONTAINER_RUNNING)).build()));
        assertEquals(List.of(ok), ids(ContainerFilter.newBuilder().setId(ok.substring(0, 10)).build()));
        assertEquals(List.of(id), ids(ContainerFilter.newBuilder().putLabelSelector("role", "main")
                .putLabelSelector(KubeLabels.POD_NAMESPACE, ns).build()));
        assertEquals(Set.of(id, ok), Set.copyOf(ids(ContainerFilter.newBuilder().setPodSandboxId(sandboxId.substring(0, 12))
                .setState(ContainerStateValue.newBuilder().setState(ContainerState.CONTAINER_EXITED)).build())));

        List<PodSandbox> pods = rt.listPodSandbox(ListPodSandboxRequest.newBuilder().setFilter(PodSandboxFilter.newBuilder()
                .putLabelSelector(KubeLabels.POD_NAMESPACE, ns).putLabelSelector("app", "web")).build()).getItemsList();
        assertEquals(1, pods.size());
        assertEquals(meta, pods.get(0).getMetadata());
        assertEquals(Map.of("note", "hello"), pods.get(0).getAnnotationsMap());
        assertEquals(1, rt.listPodSandbox(ListPodSandboxRequest.newBuilder().setFilter(PodSandboxFilter.newBuilder()
                .setId(sandboxId.substring(0, 8))).build()).getItemsCount());
        assertEquals(0, rt.listPodSandbox(ListPodSandboxRequest.newBuilder().setFilter(PodSandboxFilter.newBuilder()
                .putLabelSelector(KubeLabels.POD_NAMESPACE, ns)
                .setState(PodSandboxStateValue.newBuilder().setState(PodSandboxState.SANDBOX_NOTREADY))).build()).getItemsCount());

        // Stop, remove; then unknown ids are success.
        long t0 = System.nanoTime();
        rt.stopContainer(StopContainerRequest.newBuilder().setContainerId(sleeper).setTimeout(1).build());
        assertTrue(System.nanoTime() - t0 < 10_000_000_000L);
        assertEquals(ContainerState.CONTAINER_EXITED, status(sleeper).getState());
        rt.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(ok).build());
        assertThrows(NotFoundException.class, () -> docker.inspectContainerCmd(ok).exec());
        assertCode(Status.Code.NOT_FOUND, ok, () -> status(ok));
        rt.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(sandboxId).build());
        assertEquals(PodSandboxState.SANDBOX_NOTREADY,
                rt.podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(sandboxId).build()).getStatus().getState());
        rt.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(sandboxId).build());
        rt.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(sandboxId).build());
        assertEquals(List.of(), containersOfNs());
        assertTrue(docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(KubeLabels.POD_NAMESPACE, ns)).exec().isEmpty());

        String unknown = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        rt.stopContainer(StopContainerRequest.newBuilder().setContainerId(unknown).setTimeout(0).build());
        rt.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(unknown).build());
        rt.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(unknown).build());
        rt.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(sandboxId).build());
        rt.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
    }

    private List<String> ids(ContainerFilter filter) {
        return rt.listContainers(ListContainersRequest.newBuilder().setFilter(filter).build()).getContainersList()
                .stream().map(Container::getId).toList();
    }

    @Test
    void pidNamespacePodSharesProcessesAndContainerDoesNot() throws Exception {
        PodSandboxConfig pod = pod("pids", nsOpts(NamespaceMode.POD, NamespaceMode.POD)).build();
        String sandboxId = runPod(pod);
        NamespaceOption podPid = nsOpts(NamespaceMode.POD, NamespaceMode.POD);
        NamespaceOption ownPid = nsOpts(NamespaceMode.POD, NamespaceMode.CONTAINER);
        String procs = "for p in /proc/[0-9]*; do tr '\\000' ' ' < $p/cmdline; echo; done";
        createAndStart(sandboxId, pod, ctr("sleeper", "exec sleep 3131").setLinux(secNs(podPid)).build());
        Thread.sleep(300);
        String shared = createAndStart(sandboxId, pod, ctr("shared", procs + " > /out/pod; tr '\\000' ' ' < /proc/1/cmdline > /out/pid1").setLinux(secNs(podPid)).build());
        String own = createAndStart(sandboxId, pod, ctr("own", procs + " > /out/own").setLinux(secNs(ownPid)).build());
        assertEquals("Completed", awaitExit(shared).getReason());
        assertEquals("Completed", awaitExit(own).getReason());
        assertTrue(read("pod").contains("sleep 3131"), read("pod"));
        assertTrue(read("pid1").trim().startsWith("/pause"), "pause is PID 1 of the pod: " + read("pid1"));
        assertFalse(read("own").contains("sleep 3131"), read("own"));
        assertEquals(ContainerState.CONTAINER_CREATED.getNumber() + 1, ContainerState.CONTAINER_RUNNING.getNumber());
        rt.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(sandboxId).build());
        rt.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(sandboxId).build());
        assertEquals(List.of(), containersOfNs());
    }

    private static LinuxContainerConfig secNs(NamespaceOption options) {
        return LinuxContainerConfig.newBuilder().setSecurityContext(LinuxContainerSecurityContext.newBuilder().setNamespaceOptions(options)).build();
    }

    @Test
    void hostNetworkShowsTheHostsInterfaces() throws Exception {
        PodSandboxConfig pod = pod("hostnet", nsOpts(NamespaceMode.NODE, NamespaceMode.POD)).build();
        String sandboxId = runPod(pod);
        assertEquals("host", docker.inspectContainerCmd(sandboxId).exec().getHostConfig().getNetworkMode());
        assertEquals("", rt.podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(sandboxId).build()).getStatus().getNetwork().getIp());
        String id = createAndStart(sandboxId, pod, ctr("net", "cat /proc/net/dev > /out/dev").build());
        assertEquals("Completed", awaitExit(id).getReason());
        // other pods' veth pairs come and go on a busy host between the two reads: compare the rest
        Set<String> host = withoutVeths(interfaces(Files.readString(Path.of("/proc/net/dev"))));
        assertEquals(host, withoutVeths(interfaces(read("dev"))));
        assertTrue(host.contains("lo") && host.size() > 1, host.toString());
    }

    private static Set<String> withoutVeths(Set<String> names) {
        return names.stream().filter(n -> !n.startsWith("veth")).collect(Collectors.toSet());
    }

    private static Set<String> interfaces(String procNetDev) {
        return Arrays.stream(procNetDev.split("\n")).filter(l -> l.contains(":"))
                .map(l -> l.substring(0, l.indexOf(':')).trim()).collect(Collectors.toSet());
    }

    @Test
    void overTheMemoryLimitIsOomKilled() throws Exception {
        PodSandboxConfig pod = pod("oom", nsOpts(NamespaceMode.POD, NamespaceMode.POD)).build();
        String sandboxId = runPod(pod);
        String id = createAndStart(sandboxId, pod, ctr("hog", "x=a; while :; do x=$x$x; done")
                .setLinux(LinuxContainerConfig.newBuilder().setResources(LinuxContainerResources.newBuilder()
                        .setMemoryLimitInBytes(8L << 20))).build());
        ContainerStatus s = awaitExit(id);
        assertEquals("OOMKilled", s.getReason(), s.toString());
        assertEquals(137, s.getExitCode());
    }

    @Test
    void badInputFailsWithTheRightCodeAndLeavesNoContainer() throws Exception {
        PodSandboxConfig pod = pod("bad", nsOpts(NamespaceMode.POD, NamespaceMode.POD)).build();
        String sandboxId = runPod(pod);
        String unknownSandbox = "feedfacefeedface";
        assertCode(Status.Code.NOT_FOUND, unknownSandbox, () -> create(unknownSandbox, pod, ctr("a", "true").build()));
        assertCode(Status.Code.NOT_FOUND, "skiff-test/absent:404",
                () -> create(sandboxId, pod, ctr("b", "true").setImage(ImageSpec.newBuilder().setImage("skiff-test/absent:404")).build()));
        Path missing = tmp.resolve("no-such-dir");
        assertCode(Status.Code.INVALID_ARGUMENT, missing.toString(), () -> create(sandboxId, pod, ctr("c", "true")
                .addMounts(Mount.newBuilder().setHostPath(missing.toString()).setContainerPath("/m")).build()));
        assertFalse(Files.exists(missing));
        assertCode(Status.Code.INVALID_ARGUMENT, "metadata", () -> create(sandboxId, pod, ctr("d", "true").clearMetadata().build()));
        assertCode(Status.Code.INVALID_ARGUMENT, "image", () -> create(sandboxId, pod, ctr("e", "true").clearImage().build()));
        assertCode(Status.Code.INVALID_ARGUMENT, "metadata",
                () -> rt.runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(PodSandboxConfig.newBuilder()).build()));
        assertEquals(List.of(), containersOfNs());
        assertEquals(1, docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(KubeLabels.POD_NAMESPACE, ns)).exec().size());
    }

    @Test
    void versionStatusAndRuntimeConfig() {
        VersionResponse v = rt.version(VersionRequest.getDefaultInstance());
        assertEquals("docker", v.getRuntimeName());
        assertEquals("v1", v.getRuntimeApiVersion());
        assertEquals("0.1.0", v.getVersion());
        assertFalse(v.getRuntimeVersion().isEmpty());
        StatusResponse s = rt.status(StatusRequest.getDefaultInstance());
        assertEquals(Set.of("RuntimeReady", "NetworkReady"), s.getStatus().getConditionsList().stream()
                .filter(RuntimeCondition::getStatus).map(RuntimeCondition::getType).collect(Collectors.toSet()));
        String driver = String.valueOf(docker.infoCmd().exec().getRawValues().get("CgroupDriver"));
        assertEquals(driver.equals("systemd") ? CgroupDriver.SYSTEMD : CgroupDriver.CGROUPFS,
                rt.runtimeConfig(RuntimeConfigRequest.getDefaultInstance()).getLinux().getCgroupDriver());
        assertCode(Status.Code.INVALID_ARGUMENT, "container_id", () -> rt.exec(ExecRequest.getDefaultInstance()));
    }
}
