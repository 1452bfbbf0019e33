package dev.skiff.cri.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.command.CreateContainerCmdImpl;
import dev.skiff.cri.v1.Int64Value;
import dev.skiff.cri.v1.LinuxContainerSecurityContext;
import dev.skiff.cri.v1.LinuxSandboxSecurityContext;
import dev.skiff.cri.v1.SecurityProfile;
import dev.skiff.cri.v1.SupplementalGroupsPolicy;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** Each CRI security option on the Docker create body, as docker-java serializes it for the daemon. */
class SecurityOptionsTest {
    private static final ObjectMapper DOCKER_JSON = DefaultDockerClientConfig.createDefaultConfigBuilder()
            .withDockerHost("unix:///var/run/docker.sock").build().getObjectMapper();
    private static final String WHO = "container app of pod default/web (u1)";
    /** A host that lets the runtime grant every capability, with seccomp and without AppArmor. */
    private static final HostCapabilities FULL = new HostCapabilities(Set.copyOf(HostCapabilities.BY_BIT), Set.copyOf(HostCapabilities.BY_BIT));
    /** This VM's kind: CAP_SYS_RESOURCE withheld. */
    private static final HostCapabilities RESTRICTED = HostCapabilities.parse("Name:\tjava\nCapBnd:\t000001fffeffffff\n", 40);
    private static final List<String> DEVICES = List.of("/dev/fuse", "/dev/loop-control");

    @TempDir
    Path dir;

    private static SecurityOptions on(HostCapabilities caps, boolean appArmor, boolean seccomp) {
        return new SecurityOptions(() -> new HostSecurity(caps, appArmor, seccomp), () -> DEVICES);
    }

    private static final SecurityOptions DEFAULT_HOST = on(FULL, false, true);

    /** The create body's JSON for these options. */
    private static JsonNode body(SecurityOptions.DockerSecurity s) {
        CreateContainerCmdImpl create = new CreateContainerCmdImpl(cmd -> {
            throw new AssertionError("no Docker here");
        }, null, "skiff-test/busybox:1");
        DockerHostConfig host = new DockerHostConfig();
        s.applyTo(create, host);
        create.withHostConfig(host);
        return DOCKER_JSON.valueToTree(create);
    }

    private static JsonNode container(LinuxContainerSecurityContext.Builder sc) {
        return body(DEFAULT_HOST.container(WHO, sc.build()));
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        if (array != null) {
            array.forEach(n -> out.add(n.asText()));
        }
        return out;
    }

    private static List<String> securityOpts(JsonNode body) {
        return strings(body.path("HostConfig").get("SecurityOpt"));
    }

    private static SecurityProfile profile(SecurityProfile.ProfileType type) {
        return SecurityProfile.newBuilder().setProfileType(type).build();
    }

    private static SecurityProfile localhost(Path path) {
        return SecurityProfile.newBuilder().setProfileType(SecurityProfile.ProfileType.Localhost).setLocalhostRef(path.toString()).build();
    }

    private static StatusRuntimeException refused(Status.Code code, Runnable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        assertEquals(code, e.getStatus().getCode(), String.valueOf(e.getStatus()));
        return e;
    }

    // --- seccomp

    @Test
    void unsetSeccompIsUnconfinedAsTheCriSpecSays() {
        assertEquals(List.of("seccomp=unconfined"), securityOpts(container(LinuxContainerSecurityContext.newBuilder())));
    }

    @Test
    void runtimeDefaultSeccompLeavesDockersDefaultProfile() {
        JsonNode body = container(LinuxContainerSecurityContext.newBuilder().setSeccomp(profile(SecurityProfile.ProfileType.RuntimeDefault)));
        assertEquals(List.of(), securityOpts(body));
    }

    @Test
    void unconfinedSeccomp() {
        JsonNode body = container(LinuxContainerSecurityContext.newBuilder().setSeccomp(profile(SecurityProfile.ProfileType.Unconfined)));
        assertEquals(List.of("seccomp=unconfined"), securityOpts(body));
    }

    @Test
    void localhostSeccompCarriesTheProfileJson() throws Exception {
        Path file = dir.resolve("deny-mkdir.json");
        Files.writeString(file, "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\"}]\n}\n");
        List<String> opts = securityOpts(container(LinuxContainerSecurityContext.newBuilder().setSeccomp(localhost(file))));
        assertEquals(1, opts.size());
        assertTrue(opts.get(0).startsWith("seccomp={"), opts.get(0));
        assertEquals(new ObjectMapper().readTree(Files.readString(file)), new ObjectMapper().readTree(opts.get(0).substring("seccomp=".length())));
    }

    @Test
    void legacySeccompProfilePathIsReadAsContainerdReadsIt() throws Exception {
        Path file = dir.resolve("allow.json");
        Files.writeString(file, "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}");
        assertEquals(List.of(), securityOpts(container(LinuxContainerSecurityContext.newBuilder().setSeccompProfilePath("runtime/default"))));
        assertEquals(List.of(), securityOpts(container(LinuxContainerSecurityContext.newBuilder().setSeccompProfilePath("docker/default"))));
        assertEquals(List.of("seccomp=unconfined"),
                securityOpts(container(LinuxContainerSecurityContext.newBuilder().setSeccompProfilePath("unconfined"))));
        assertEquals(List.of("seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}"),
                securityOpts(container(LinuxContainerSecurityContext.newBuilder().setSeccompProfilePath("localhost/" + file))));
        assertTrue(refused(Status.Code.INVALID_ARGUMENT, () -> container(LinuxContainerSecurityContext.newBuilder()
                .setSeccompProfilePath("strict"))).getStatus().getDescription().contains("strict"));
        // the typed field wins over the deprecated one
        assertEquals(List.of(), securityOpts(container(LinuxContainerSecurityContext.newBuilder().setSeccompProfilePath("unconfined")
                .setSeccomp(profile(SecurityProfile.ProfileType.RuntimeDefault)))));
    }

    @Test
    void missingSeccompProfileFailsNamingThePath() {
        Path missing = dir.resolve("nope.json");
        StatusRuntimeException e = refused(Status.Code.INVALID_ARGUMENT,
                () -> container(LinuxContainerSecurityContext.newBuilder().setSeccomp(localhost(missing))));
        assertTrue(e.getStatus().getDescription().contains(missing.toString()), e.getStatus().getDescription());
        assertTrue(e.getStatus().getDescription().contains("container app of pod default/web"), e.getStatus().getDescription());
    }

    @Test
    void invalidSeccompProfileFailsNamingThePathWithoutItsContent() throws Exception {
        Path file = dir.resolve("bad.json");
        Files.writeString(file, "{\"defaultAction\": SECRET-TOKEN-42 }");
        StatusRuntimeException e = refused(Status.Code.INVALID_ARGUMENT,
                () -> container(LinuxContainerSecurityContext.newBuilder().setSeccomp(localhost(file))));
        String d = e.getStatus().getDescription();
        assertTrue(d.contains(file.toString()) && d.contains("not valid JSON"), d);
        assertFalse(d.contains("SECRET"), d);

        Files.writeString(file, "{\"syscalls\": [], \"note\": \"SECRET-TOKEN-42\"}");
        d = refused(Status.Code.INVALID_ARGUMENT, () -> container(LinuxContainerSecurityContext.newBuilder().setSeccomp(localhost(file))))
                .getStatus().getDescription();
        assertTrue(d.contains(file.toString()) && d.contains("defaultAction"), d);
        assertFalse(d.contains("SECRET"), d);

        Files.writeString(file, "[1, 2]");
        refused(Status.Code.INVALID_ARGUMENT, () -> container(LinuxContainerSecurityContext.newBuilder().setSeccomp(localhost(file))));
        refused(Status.Code.INVALID_ARGUMENT, () -> container(LinuxContainerSecurityContext.newBuilder()
                .setSeccomp(SecurityProfile.newBuilder().setProfileType(SecurityProfile.ProfileType.Localhost).setLocalhostRef("relative.json"))));
    }

    @Test
    void localhostRefOnAnotherTypeIsRefused() {
        refused(Status.Code.INVALID_ARGUMENT, () -> container(LinuxContainerSecurityContext.newBuilder()
                .setSeccomp(SecurityProfile.newBuilder().setProfileType(SecurityProfile.ProfileType.RuntimeDefault).setLocalhostRef("/x.json"))));
    }

    @Test
    void seccompOnAHostWithoutItIsRefusedUnlessUnconfined() {
        SecurityOptions noSeccomp = on(FULL, false, false);
        refused(Status.Code.FAILED_PRECONDITION, () -> noSeccomp.container(WHO, LinuxContainerSecurityContext.newBuilder()
                .setSeccomp(profile(SecurityProfile.ProfileType.RuntimeDefault)).build()));
        assertEquals(List.of("seccomp=unconfined"), securityOpts(body(noSeccomp.container(WHO, LinuxContainerSecurityContext.newBuilder()
                .setSeccomp(profile(SecurityProfile.ProfileType.Unconfined)).build()))));
    }

    // --- masked and read-only paths

    @Test
    void maskedAndReadonlyPathsArePassedThroughAndDefaultWhenUnset() {
        JsonNode unset = container(LinuxContainerSecurityContext.newBuilder());
        assertFalse(unset.path("HostConfig").has("MaskedPaths"), "unset keeps Docker's defaults: " + unset);
        assertFalse(unset.path("HostConfig").has("ReadonlyPaths"));

        JsonNode set = container(LinuxContainerSecurityContext.newBuilder()
                .addMaskedPaths("/proc/kcore").addMaskedPaths("/etc/secret").addReadonlyPaths("/proc/sys"));
        assertEquals(List.of("/proc/kcore", "/etc/secret"), strings(set.path("HostConfig").get("MaskedPaths")));
        assertEquals(List.of("/proc/sys"), strings(set.path("HostConfig").get("ReadonlyPaths")));
    }

    // --- user, groups, no_new_privs, read-only rootfs

    @Test
    void runAsGroupWithoutAUserIsRefused() {
        StatusRuntimeException e = refused(Status.Code.INVALID_ARGUMENT, () -> container(LinuxContainerSecurityContext.newBuilder()
                .setRunAsGroup(Int64Value.newBuilder().setValue(2000))));
        assertTrue(e.getStatus().getDescription().contains("run_as_group 2000"), e.getStatus().getDescription());
        refused(Status.Code.INVALID_ARGUMENT, () -> DEFAULT_HOST.sandbox("sandbox of pod default/web (u1)", LinuxSandboxSecurityContext
                .newBuilder().setRunAsGroup(Int64Value.newBuilder().setValue(2000)).build()));
    }

    @Test
    void userAndGroupBecomeDockersUser() {
        assertEquals("1000:2000", container(LinuxContainerSecurityContext.newBuilder()
                .setRunAsUser(Int64Value.newBuilder().setValue(1000)).setRunAsGroup(Int64Value.newBuilder().setValue(2000))).get("User").asText());
        assertEquals("nobody:2000", container(LinuxContainerSecurityContext.newBuilder().setRunAsUsername("nobody")
                .setRunAsUser(Int64Value.newBuilder().setValue(1000)).setRunAsGroup(Int64Value.newBuilder().setValue(2000))).get("User").asText());
        assertEquals("0", container(LinuxContainerSecurityContext.newBuilder().setRunAsUser(Int64Value.newBuilder().setValue(0)))
                .get("User").asText());
        JsonNode none = container(LinuxContainerSecurityContext.newBuilder());
        assertTrue(none.path("User").isMissingNode() || none.get("User").isNull(), "no user: the image's; " + none);
    }

    @Test
    void supplementalGroupsNoNewPrivsAndReadonlyRootfs() {
        JsonNode body = container(LinuxContainerSecurityContext.newBuilder().addSupplementalGroups(3000).addSupplementalGroups(3001)
                .setNoNewPrivs(true).setReadonlyRootfs(true));
        assertEquals(List.of("3000", "3001"), strings(body.path("HostConfig").get("GroupAdd")));
        assertTrue(securityOpts(body).contains("no-new-privileges"), securityOpts(body).toString());
        assertTrue(body.path("HostConfig").get("ReadonlyRootfs").asBoolean());
        refused(Status.Code.FAILED_PRECONDITION, () -> container(LinuxContainerSecurityContext.newBuilder()
                .setSupplementalGroupsPolicy(SupplementalGroupsPolicy.Strict)));
    }

    // --- AppArmor

    @Test
    void appArmorWithoutAppArmorOnTheHostIsRefusedUnlessUnconfinedOrUnset() {
        assertFalse(securityOpts(container(LinuxContainerSecurityContext.newBuilder())).stream().anyMatch(o -> o.startsWith("apparmor")));
        assertFalse(securityOpts(container(LinuxContainerSecurityContext.newBuilder().setApparmor(profile(SecurityProfile.ProfileType.Unconfined))))
                .stream().anyMatch(o -> o.startsWith("apparmor")));
        StatusRuntimeException e = refused(Status.Code.FAILED_PRECONDITION, () -> container(LinuxContainerSecurityContext.newBuilder()
                .setApparmor(profile(SecurityProfile.ProfileType.RuntimeDefault))));
        assertTrue(e.getStatus().getDescription().contains("no AppArmor"), e.getStatus().getDescription());
        e = refused(Status.Code.FAILED_PRECONDITION, () -> container(LinuxContainerSecurityContext.newBuilder().setApparmorProfile("localhost/k8s-nginx")));
        assertTrue(e.getStatus().getDescription().contains("localhost/k8s-nginx"), e.getStatus().getDescription());
    }

    @Test
    void appArmorOnAHostWithIt() {
        SecurityOptions withAppArmor = on(FULL, true, true);
        assertTrue(securityOpts(body(withAppArmor.container(WHO, LinuxContainerSecurityContext.newBuilder()
                .setApparmor(profile(SecurityProfile.ProfileType.Unconfined)).build()))).contains("apparmor=unconfined"));
        assertFalse(securityOpts(body(withAppArmor.container(WHO, LinuxContainerSecurityContext.newBuilder()
                .setApparmor(profile(SecurityProfile.ProfileType.RuntimeDefault)).build()))).stream().anyMatch(o -> o.startsWith("apparmor")),
                "RuntimeDefault is Docker's docker-default, applied without an option");
        if (!Files.exists(AppArmorProfiles.LOADED)) {
            // a profile the kernel has not loaded would fail the start: refused at create
            refused(Status.Code.FAILED_PRECONDITION, () -> withAppArmor.container(WHO, LinuxContainerSecurityContext.newBuilder()
                    .setApparmor(SecurityProfile.newBuilder().setProfileType(SecurityProfile.ProfileType.Localhost).setLocalhostRef("k8s-nginx"))
                    .build()));
        }
    }

    // --- capabilities and privileged

    @Test
    void capabilitiesAreAddedAndDropped() {
        JsonNode body = container(LinuxContainerSecurityContext.newBuilder().setCapabilities(dev.skiff.cri.v1.Capability.newBuilder()
                .addAddCapabilities("NET_ADMIN").addAddCapabilities("CAP_SYS_TIME").addDropCapabilities("ALL")));
        assertEquals(List.of("NET_ADMIN", "SYS_TIME"), strings(body.path("HostConfig").get("CapAdd")));
        assertEquals(List.of("ALL"), strings(body.path("HostConfig").get("CapDrop")));
        refused(Status.Code.INVALID_ARGUMENT, () -> container(LinuxContainerSecurityContext.newBuilder()
                .setCapabilities(dev.skiff.cri.v1.Capability.newBuilder().addAddCapabilities("FLY"))));
        refused(Status.Code.FAILED_PRECONDITION, () -> container(LinuxContainerSecurityContext.newBuilder()
                .setCapabilities(dev.skiff.cri.v1.Capability.newBuilder().addAddAmbientCapabilities("NET_ADMIN"))));
    }

    @Test
    void allCapabilitiesWhereTheHostHoldsThemAll() {
        JsonNode body = container(LinuxContainerSecurityContext.newBuilder().setCapabilities(dev.skiff.cri.v1.Capability.newBuilder()
                .addAddCapabilities("ALL")));
        assertEquals(List.of("ALL"), strings(body.path("HostConfig").get("CapAdd")));
    }

    @Test
    void allCapabilitiesWhereTheHostWithholdsSomeGrantsWhatTheRuntimeHolds() {
        SecurityOptions restricted = on(RESTRICTED, false, true);
        JsonNode body = body(restricted.container(WHO, LinuxContainerSecurityContext.newBuilder().setCapabilities(
                dev.skiff.cri.v1.Capability.newBuilder().addAddCapabilities("ALL").addDropCapabilities("NET_RAW")).build()));
        // Docker's own ALL, less what the host withholds: Docker grants only capabilities it knows
        assertEquals(List.of("ALL"), strings(body.path("HostConfig").get("CapAdd")));
        assertEquals(List.of("NET_RAW", "SYS_RESOURCE"), strings(body.path("HostConfig").get("CapDrop")), "a dropped capability stays dropped");
        StatusRuntimeException e = refused(Status.Code.FAILED_PRECONDITION, () -> restricted.container(WHO, LinuxContainerSecurityContext
                .newBuilder().setCapabilities(dev.skiff.cri.v1.Capability.newBuilder().addAddCapabilities("SYS_RESOURCE")).build()));
        assertTrue(e.getStatus().getDescription().contains("SYS_RESOURCE"), e.getStatus().getDescription());
    }

    @Test
    void privilegedWhereTheHostHoldsEveryCapabilityIsDockersPrivileged() throws Exception {
        JsonNode body = container(LinuxContainerSecurityContext.newBuilder().setPrivileged(true)
                .setSeccomp(localhost(dir.resolve("ignored-when-privileged.json"))));
        assertTrue(body.path("HostConfig").get("Privileged").asBoolean());
        assertFalse(body.path("HostConfig").has("CapAdd") && body.path("HostConfig").get("CapAdd").size() > 0);
        assertEquals(List.of(), securityOpts(body), "Docker runs a privileged container unconfined itself");
    }

    @Test
    void privilegedWhereTheHostWithholdsCapabilitiesIsEmulated() {
        JsonNode body = body(on(RESTRICTED, true, true).container(WHO, LinuxContainerSecurityContext.newBuilder().setPrivileged(true)
                .addMaskedPaths("/proc/kcore").build()));
        JsonNode host = body.path("HostConfig");
        assertFalse(host.path("Privileged").asBoolean(false), "Docker's privileged cannot start here");
        assertEquals(List.of("ALL"), strings(host.get("CapAdd")));
        assertEquals(List.of("SYS_RESOURCE"), strings(host.get("CapDrop")));
        assertEquals(Set.of("seccomp=unconfined", "apparmor=unconfined"), Set.copyOf(securityOpts(body)));
        assertEquals(List.of(), strings(host.get("MaskedPaths")), "privileged: nothing masked");
        assertTrue(host.get("MaskedPaths").isArray());
        assertEquals(List.of(), strings(host.get("ReadonlyPaths")));
        assertEquals(List.of(SecurityOptions.ALL_DEVICES_RULE), strings(host.get("DeviceCgroupRules")));
        List<String> devices = new ArrayList<>();
        host.get("Devices").forEach(d -> devices.add(d.get("PathOnHost").asText() + ">" + d.get("PathInContainer").asText()));
        assertEquals(List.of("/dev/fuse>/dev/fuse", "/dev/loop-control>/dev/loop-control"), devices);
    }

    @Test
    void sandboxContextIsReadLikeAContainers() {
        SecurityOptions restricted = on(RESTRICTED, false, true);
        String who = "sandbox of pod default/web (u1)";
        assertEquals(List.of("seccomp=unconfined"), securityOpts(body(restricted.sandbox(who, LinuxSandboxSecurityContext.getDefaultInstance()))));
        assertEquals(List.of(), securityOpts(body(restricted.sandbox(who, LinuxSandboxSecurityContext.newBuilder()
                .setSeccomp(profile(SecurityProfile.ProfileType.RuntimeDefault)).build()))));
        JsonNode body = body(restricted.sandbox(who, LinuxSandboxSecurityContext.newBuilder().setPrivileged(true)
                .setRunAsUser(Int64Value.newBuilder().setValue(65535)).setRunAsGroup(Int64Value.newBuilder().setValue(65535))
                .addSupplementalGroups(5).setReadonlyRootfs(true).build()));
        assertEquals("65535:65535", body.get("User").asText());
        assertEquals(List.of("5"), strings(body.path("HostConfig").get("GroupAdd")));
        assertTrue(body.path("HostConfig").get("ReadonlyRootfs").asBoolean());
        assertEquals(List.of("SYS_RESOURCE"), strings(body.path("HostConfig").get("CapDrop")));
        refused(Status.Code.FAILED_PRECONDITION, () -> restricted.sandbox(who, LinuxSandboxSecurityContext.newBuilder()
                .setApparmor(profile(SecurityProfile.ProfileType.RuntimeDefault)).build()));
    }

    // --- the host

    @Test
    void hostCapabilitiesComeFromTheBoundingSet() {
        assertEquals(List.of(Capability.SYS_RESOURCE), RESTRICTED.withheld());
        assertEquals(40, RESTRICTED.heldInOrder().size());
        HostCapabilities older = HostCapabilities.parse("CapBnd:\t0000003fffffffff\n", 37);
        assertEquals(List.of(), older.withheld(), "a kernel that knows 38 capabilities and holds them all");
        assertTrue(older.holds(Capability.BPF), "a capability the kernel does not know is left to Docker");
        HostCapabilities noBpf = HostCapabilities.parse("CapBnd:\t0000017ffeffffff\n", 40);
        assertEquals(List.of(Capability.SYS_RESOURCE, Capability.BPF), noBpf.withheld());
        assertEquals(List.of(Capability.SYS_RESOURCE), noBpf.withheldDockerNames(), "Docker 20.10 cannot name BPF, nor grants it");
        assertTrue(HostCapabilities.parse("CapBnd:\t0000000000000000\n", 40).held().isEmpty());
        assertEquals(41, HostCapabilities.parse("CapBnd:\t0000000000000000\n", 40).withheld().size());
    }

    @Test
    void hostSecurityFromDockerInfo() {
        HostSecurity h = HostSecurity.of(FULL, List.of("name=apparmor", "name=seccomp,profile=default", "name=cgroupns"));
        assertTrue(h.appArmor());
        assertTrue(h.seccomp());
        HostSecurity none = HostSecurity.of(FULL, List.of("name=seccomp,profile=default"));
        assertFalse(none.appArmor());
        assertFalse(HostSecurity.of(FULL, null).seccomp());
    }

    @Test
    void hostDevicesAreTheDeviceNodesUnderDev() {
        List<String> devices = HostDevices.list(Path.of("/dev"));
        assertTrue(devices.contains("/dev/null"), devices.toString());
        assertTrue(devices.stream().noneMatch(d -> d.startsWith("/dev/pts/") || d.equals("/dev/console") || d.startsWith("/dev/shm/")),
                devices.toString());
        assertEquals(List.of(), HostDevices.list(dir), "a directory without device nodes");
    }
}
