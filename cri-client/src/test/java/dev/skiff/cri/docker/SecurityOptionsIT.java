package dev.skiff.cri.docker;

import dev.skiff.cri.v1.*;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static dev.skiff.cri.docker.PodFixture.assertCode;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Each security option observed from inside a real container created through the shim: the
 * container prints what its own process is given ({@code /proc/self/status}, its files) to its log.
 */
@Timeout(180)
class SecurityOptionsIT {
    private static final String STATUS = "grep -E '^(Seccomp|NoNewPrivs|CapEff):' /proc/self/status";
    private static final SecurityProfile RUNTIME_DEFAULT = profile(SecurityProfile.ProfileType.RuntimeDefault);
    private static final SecurityProfile UNCONFINED = profile(SecurityProfile.ProfileType.Unconfined);
    /** Docker's default capability set (CHOWN … AUDIT_WRITE, SETFCAP). */
    private static final String DOCKER_DEFAULT_CAPS = "00000000a80425fb";

    @TempDir
    Path logs;
    @TempDir
    Path profiles;
    private PodFixture pods;
    private PodSandboxConfig sandbox;
    private String sandboxId;

    @BeforeEach
    void setUp() {
        pods = new PodFixture("skiff-sec-it", logs);
        sandbox = pods.sandbox().build();
        sandboxId = pods.run(sandbox);
    }

    @AfterEach
    void tearDown() {
        pods.close();
    }

    @Test
    void seccompProfiles() throws Exception {
        assertEquals("0", status("unset", b -> { }).get("Seccomp"), "an unset profile is unconfined");
        assertEquals("2", status("rtdefault", b -> b.setSeccomp(RUNTIME_DEFAULT)).get("Seccomp"));
        assertEquals("0", status("unconfined", b -> b.setSeccomp(UNCONFINED)).get("Seccomp"));

        Path denyMkdir = profiles.resolve("deny-mkdir.json");
        Files.writeString(denyMkdir, """
                {"defaultAction": "SCMP_ACT_ALLOW",
                 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
                """);
        List<String> out = run("localhost", STATUS + "; mkdir /tmp/made && echo made || echo refused",
                b -> b.setSeccomp(SecurityProfile.newBuilder().setProfileType(SecurityProfile.ProfileType.Localhost)
                        .setLocalhostRef(denyMkdir.toString())));
        assertEquals("2", fields(out).get("Seccomp"));
        assertTrue(out.contains("refused"), "the profile file's own rule applies: " + out);
    }

    @Test
    void missingOrInvalidSeccompProfileFailsCreateNamingThePath() throws Exception {
        Path missing = profiles.resolve("absent.json");
        Path invalid = profiles.resolve("invalid.json");
        Files.writeString(invalid, "{ not json SECRET-CONTENT");
        for (Path p : List.of(missing, invalid)) {
            ContainerConfig.Builder b = pods.container(sandbox, "bad", "true");
            b.getLinuxBuilder().getSecurityContextBuilder().setSeccomp(SecurityProfile.newBuilder()
                    .setProfileType(SecurityProfile.ProfileType.Localhost).setLocalhostRef(p.toString()));
            StatusRuntimeException e = assertCode(Status.Code.INVALID_ARGUMENT, () -> pods.create(sandboxId, sandbox, b.build()));
            assertTrue(e.getStatus().getDescription().contains(p.toString()), e.getStatus().getDescription());
            assertFalse(e.getStatus().getDescription().contains("SECRET"), e.getStatus().getDescription());
        }
        assertEquals(1, pods.dockerContainers().size(), "only the sandbox: nothing half-created");
    }

    @Test
    void sandboxSeccomp() throws Exception {
        assertEquals("0", procStatus(sandboxId).get("Seccomp"), "an unset sandbox profile is unconfined");
        PodSandboxConfig confined = pods.sandbox().build();
        confined = confined.toBuilder().setLinux(confined.getLinux().toBuilder().setSecurityContext(
                confined.getLinux().getSecurityContext().toBuilder().setSeccomp(RUNTIME_DEFAULT))).build();
        assertEquals("2", procStatus(pods.run(confined)).get("Seccomp"));
    }

    @Test
    void noNewPrivs() {
        assertEquals("1", status("nnp", b -> b.setNoNewPrivs(true)).get("NoNewPrivs"));
        assertEquals("0", status("nnp-off", b -> { }).get("NoNewPrivs"));
    }

    @Test
    void capabilities() throws Exception {
        assertEquals(DOCKER_DEFAULT_CAPS, status("default", b -> { }).get("CapEff"));
        assertEquals("0000000000001000", status("netadmin", b -> b.setCapabilities(Capability.newBuilder()
                .addDropCapabilities("ALL").addAddCapabilities("NET_ADMIN"))).get("CapEff"));
        // Where the host withholds some (this VM: CAP_SYS_RESOURCE), ALL is what the runtime holds, and still starts.
        assertGrantsWhatTheRuntimeHolds(status("all", b -> b.setCapabilities(Capability.newBuilder().addAddCapabilities("ALL")))
                .get("CapEff"));
    }

    @Test
    void privileged() throws Exception {
        PodSandboxConfig config = pods.sandbox().build();
        config = config.toBuilder().setLinux(config.getLinux().toBuilder().setSecurityContext(
                config.getLinux().getSecurityContext().toBuilder().setPrivileged(true))).build();
        sandbox = config;
        sandboxId = pods.run(config);
        assertGrantsWhatTheRuntimeHolds(procStatus(sandboxId).get("CapEff"));

        List<String> out = run("priv", STATUS + "; wc -c < /proc/timer_list; test -e /dev/loop-control && echo loop-control",
                b -> b.setPrivileged(true).setSeccomp(RUNTIME_DEFAULT));
        Map<String, String> f = fields(out);
        assertGrantsWhatTheRuntimeHolds(f.get("CapEff"));
        assertEquals("0", f.get("Seccomp"), "privileged runs unconfined");
        assertNotEquals("0", out.get(3).trim(), "nothing is masked: " + out);
        if (Files.exists(Path.of("/dev/loop-control"))) {
            assertTrue(out.contains("loop-control"), "the host's devices: " + out);
        }
    }

    @Test
    void maskedAndReadonlyPaths() {
        List<String> defaults = run("defaults", "wc -c < /proc/timer_list; echo x > /proc/sys/kernel/domainname && echo wrote || echo ro; "
                + "touch /tmp/x && echo touched", b -> { });
        assertEquals(List.of("0", "ro", "touched"), defaults.subList(0, 3), "unset keeps Docker's defaults");

        List<String> custom = run("custom", "wc -c < /etc/passwd; wc -c < /proc/timer_list | grep -qv '^0$' && echo unmasked; "
                + "touch /tmp/x && echo touched || echo refused",
                b -> b.addMaskedPaths("/etc/passwd").addReadonlyPaths("/tmp"));
        assertEquals(List.of("0", "unmasked", "refused"), custom.subList(0, 3), "the given paths replace the defaults");
    }

    @Test
    void userGroupsAndReadonlyRootfs() {
        List<String> out = run("ids", "id -u; id -g; id -G; touch /rootfs-file && echo touched || echo refused",
                b -> b.setRunAsUser(Int64Value.newBuilder().setValue(1000)).setRunAsGroup(Int64Value.newBuilder().setValue(2000))
                        .addSupplementalGroups(3000).setReadonlyRootfs(true));
        assertEquals("1000", out.get(0));
        assertEquals("2000", out.get(1));
        assertTrue(List.of(out.get(2).split(" ")).contains("3000"), out.get(2));
        assertEquals("refused", out.get(3));

        ContainerConfig.Builder b = pods.container(sandbox, "grouponly", "true");
        b.getLinuxBuilder().getSecurityContextBuilder().setRunAsGroup(Int64Value.newBuilder().setValue(2000));
        StatusRuntimeException e = assertCode(Status.Code.INVALID_ARGUMENT, () -> pods.create(sandboxId, sandbox, b.build()));
        assertTrue(e.getStatus().getDescription().contains("grouponly"), e.getStatus().getDescription());
    }

    @Test
    void appArmorProfiles() {
        boolean appArmor = pods.docker.infoCmd().exec().getSecurityOptions().stream().anyMatch(o -> o.contains("name=apparmor"));
        assertEquals("0", status("aa-unconfined", b -> b.setApparmor(UNCONFINED)).get("Seccomp"), "Unconfined starts anywhere");
        ContainerConfig.Builder rd = pods.container(sandbox, "aa-default", "cat /proc/self/attr/current; echo; echo END");
        rd.getLinuxBuilder().getSecurityContextBuilder().setApparmor(RUNTIME_DEFAULT);
        if (appArmor) {
            ContainerConfig config = rd.build();
            pods.start(sandboxId, sandbox, config);
            assertTrue(lines(config).get(0).startsWith("docker-default"), lines(config).toString());
        } else {
            StatusRuntimeException e = assertCode(Status.Code.FAILED_PRECONDITION, () -> pods.create(sandboxId, sandbox, rd.build()));
            assertTrue(e.getStatus().getDescription().contains("no AppArmor"), e.getStatus().getDescription());
            ContainerConfig.Builder local = pods.container(sandbox, "aa-local", "true");
            local.getLinuxBuilder().getSecurityContextBuilder().setApparmor(SecurityProfile.newBuilder()
                    .setProfileType(SecurityProfile.ProfileType.Localhost).setLocalhostRef("k8s-skiff-test"));
            assertCode(Status.Code.FAILED_PRECONDITION, () -> pods.create(sandboxId, sandbox, local.build()));
        }
    }

    // ---

    private static SecurityProfile profile(SecurityProfile.ProfileType type) {
        return SecurityProfile.newBuilder().setProfileType(type).build();
    }

    /** The Seccomp, NoNewPrivs and CapEff lines of the container's own /proc/self/status. */
    private Map<String, String> status(String name, Consumer<LinuxContainerSecurityContext.Builder> security) {
        return fields(run(name, STATUS, security));
    }

    /** Runs {@code script} to its end in a container of the test's sandbox; its stdout lines. */
    private List<String> run(String name, String script, Consumer<LinuxContainerSecurityContext.Builder> security) {
        ContainerConfig.Builder b = pods.container(sandbox, name, script + "; echo END");
        security.accept(b.getLinuxBuilder().getSecurityContextBuilder());
        ContainerConfig config = b.build();
        String id = pods.start(sandboxId, sandbox, config);
        pods.awaitExited(id, Duration.ofSeconds(60));
        return lines(config);
    }

    private List<String> lines(ContainerConfig config) {
        Path log = pods.logFile(sandbox, config);
        PodFixture.await("the log of " + config.getMetadata().getName() + " ends", () -> PodFixture.stdoutLines(log).contains("END"),
                Duration.ofSeconds(60));
        List<String> lines = PodFixture.stdoutLines(log);
        return lines.subList(0, lines.indexOf("END"));
    }

    private static Map<String, String> fields(List<String> lines) {
        Map<String, String> out = new HashMap<>();
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                out.put(line.substring(0, colon), line.substring(colon + 1).trim());
            }
        }
        return out;
    }

    /** A sandbox's pause process as the host sees it (the pause image has no shell to ask). */
    private Map<String, String> procStatus(String id) throws IOException {
        long pid = pods.docker.inspectContainerCmd(id).exec().getState().getPidLong();
        return fields(Files.readAllLines(Path.of("/proc/" + pid + "/status")));
    }

    /**
     * Nothing beyond the runtime's bounding set, and every capability of it that any Docker can
     * grant (through CAP_AUDIT_READ, bit 37; Debian's 20.10 knows none later).
     */
    private static void assertGrantsWhatTheRuntimeHolds(String capEffHex) throws IOException {
        long bounding = Long.parseUnsignedLong(fields(Files.readAllLines(Path.of("/proc/self/status"))).get("CapBnd"), 16);
        long eff = Long.parseUnsignedLong(capEffHex, 16);
        long everyDocker = (1L << 38) - 1;
        assertEquals(0, eff & ~bounding, "nothing beyond the bounding set: " + capEffHex);
        assertEquals(bounding & everyDocker, eff & everyDocker, "every held capability: " + capEffHex);
    }
}
