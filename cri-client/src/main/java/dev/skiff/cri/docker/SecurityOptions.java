package dev.skiff.cri.docker;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Device;
import dev.skiff.cri.CriErrors;
import dev.skiff.cri.v1.LinuxContainerSecurityContext;
import dev.skiff.cri.v1.LinuxSandboxSecurityContext;
import dev.skiff.cri.v1.SupplementalGroupsPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * A CRI security context as Docker create options, as containerd honours it: each field is either
 * carried into the create body or refused with a reason naming the object; none is dropped.
 *
 * <p>Where the host's bounding set withholds capabilities, Docker's {@code privileged} and
 * {@code cap-add ALL} cannot start a container; both then grant every capability the runtime
 * holds instead (containerd's WithAllCurrentCapabilities; to Docker: ALL, dropping the withheld
 * ones), and privileged also gets what else
 * Docker's privileged gives: no seccomp or AppArmor confinement, no masked or read-only paths,
 * and every host device.
 */
final class SecurityOptions {
    private static final Logger log = LoggerFactory.getLogger(SecurityOptions.class);
    private static final AtomicBoolean warnedWithheld = new AtomicBoolean();
    static final String ALL_DEVICES_RULE = "a *:* rwm";

    private final Supplier<HostSecurity> host;
    private final Supplier<List<String>> hostDevices;

    SecurityOptions(Supplier<HostSecurity> host) {
        this(host, () -> HostDevices.list(Path.of("/dev")));
    }

    SecurityOptions(Supplier<HostSecurity> host, Supplier<List<String>> hostDevices) {
        this.host = host;
        this.hostDevices = hostDevices;
    }

    /**
     * What Docker is asked for.
     *
     * @param user          {@code user[:group]}, null for the image's
     * @param maskedPaths   null keeps Docker's defaults; empty masks nothing
     * @param readonlyPaths null keeps Docker's defaults; empty makes nothing read-only
     * @param devices       host device paths added as they are (privileged without Docker's privileged)
     */
    record DockerSecurity(String user, List<String> groupAdd, boolean privileged, boolean readonlyRootfs,
                          List<Capability> capAdd, List<Capability> capDrop, List<String> securityOpts,
                          List<String> maskedPaths, List<String> readonlyPaths, List<String> devices,
                          List<String> deviceCgroupRules) {

        void applyTo(CreateContainerCmd create, DockerHostConfig host) {
            if (user != null) {
                create.withUser(user);
            }
            if (!groupAdd.isEmpty()) {
                host.withGroupAdd(groupAdd);
            }
            if (privileged) {
                host.withPrivileged(true);
            }
            if (readonlyRootfs) {
                host.withReadonlyRootfs(true);
            }
            if (!capAdd.isEmpty()) {
                host.withCapAdd(capAdd.toArray(Capability[]::new));
            }
            if (!capDrop.isEmpty()) {
                host.withCapDrop(capDrop.toArray(Capability[]::new));
            }
            if (!securityOpts.isEmpty()) {
                host.withSecurityOpts(securityOpts);
            }
            host.withMaskedPaths(maskedPaths).withReadonlyPaths(readonlyPaths);
            if (!devices.isEmpty()) {
                List<Device> all = new ArrayList<>(host.getDevices() == null ? List.of() : Arrays.asList(host.getDevices()));
                Set<String> taken = new LinkedHashSet<>();
                all.forEach(d -> taken.add(d.getPathInContainer()));
                devices.stream().filter(taken::add).forEach(path -> all.add(new Device("rwm", path, path)));
                host.withDevices(all);
            }
            if (!deviceCgroupRules.isEmpty()) {
                host.withDeviceCgroupRules(deviceCgroupRules);
            }
        }
    }

    /** A pod container's options. */
    DockerSecurity container(String who, LinuxContainerSecurityContext sc) {
        String user = user(who, sc.getRunAsUsername(), sc.hasRunAsUser() ? sc.getRunAsUser().getValue() : null,
                sc.hasRunAsGroup() ? sc.getRunAsGroup().getValue() : null);
        if (sc.getSupplementalGroupsPolicy() == SupplementalGroupsPolicy.Strict) {
            throw CriErrors.failedPrecondition("%s asks for supplemental groups policy Strict; Docker always merges the image's "
                    + "groups (Merge)", who);
        }
        if (sc.hasCapabilities() && sc.getCapabilities().getAddAmbientCapabilitiesCount() > 0) {
            throw CriErrors.failedPrecondition("%s asks for ambient capabilities %s; Docker cannot grant ambient capabilities", who,
                    sc.getCapabilities().getAddAmbientCapabilitiesList());
        }
        HostSecurity h = host.get();
        List<String> groups = sc.getSupplementalGroupsList().stream().map(String::valueOf).toList();
        List<String> opts = new ArrayList<>();
        if (sc.getNoNewPrivs()) {
            opts.add("no-new-privileges");
        }
        Optional<String> appArmor = AppArmorProfiles.securityOpt(sc.hasApparmor() ? sc.getApparmor() : null,
                sc.getApparmorProfile(), h.appArmor(), who);
        if (sc.getPrivileged()) {
            return privileged(who, h, user, groups, sc.getReadonlyRootfs(), opts, appArmor);
        }
        appArmor.ifPresent(opts::add);
        SeccompProfiles.securityOpt(sc.hasSeccomp() ? sc.getSeccomp() : null, sc.getSeccompProfilePath(), h.seccomp(), who)
                .ifPresent(opts::add);
        List<Capability> drop = sc.hasCapabilities() ? capabilities(who, sc.getCapabilities().getDropCapabilitiesList()) : List.of();
        List<Capability> add = sc.hasCapabilities() ? capabilities(who, sc.getCapabilities().getAddCapabilitiesList()) : List.of();
        if (add.contains(Capability.ALL)) {
            if (!h.capabilities().withheld().isEmpty()) {
                warnOnce(who, "all capabilities", h.capabilities());
                add = List.of(Capability.ALL);
                drop = union(drop, h.capabilities().withheldDockerNames());
            }
        } else {
            for (Capability c : add) {
                if (!h.capabilities().holds(c)) {
                    throw CriErrors.failedPrecondition("%s asks for capability %s, which this host withholds from its container "
                            + "runtime (not in the bounding set)", who, c);
                }
            }
        }
        return new DockerSecurity(user, groups, false, sc.getReadonlyRootfs(), add, drop, opts,
                sc.getMaskedPathsCount() > 0 ? sc.getMaskedPathsList() : null,
                sc.getReadonlyPathsCount() > 0 ? sc.getReadonlyPathsList() : null, List.of(), List.of());
    }

    /** The sandbox (pause) container's options: the fields it shares with a container's context, read the same way. */
    DockerSecurity sandbox(String who, LinuxSandboxSecurityContext sc) {
        LinuxContainerSecurityContext.Builder b = LinuxContainerSecurityContext.newBuilder()
                .setPrivileged(sc.getPrivileged())
                .setReadonlyRootfs(sc.getReadonlyRootfs())
                .addAllSupplementalGroups(sc.getSupplementalGroupsList())
                .setSupplementalGroupsPolicy(sc.getSupplementalGroupsPolicy())
                .setSeccompProfilePath(sc.getSeccompProfilePath());
        if (sc.hasRunAsUser()) {
            b.setRunAsUser(sc.getRunAsUser());
        }
        if (sc.hasRunAsGroup()) {
            b.setRunAsGroup(sc.getRunAsGroup());
        }
        if (sc.hasSeccomp()) {
            b.setSeccomp(sc.getSeccomp());
        }
        if (sc.hasApparmor()) {
            b.setApparmor(sc.getApparmor());
        }
        return container(who, b.build());
    }

    /** Docker's privileged where the host allows it; otherwise the same, granting the capabilities the runtime holds. */
    private DockerSecurity privileged(String who, HostSecurity h, String user, List<String> groups, boolean readonlyRootfs,
                                      List<String> opts, Optional<String> appArmor) {
        appArmor.ifPresent(opts::add); // an explicit profile applies even to a privileged container, as in Docker
        if (h.capabilities().withheld().isEmpty()) {
            return new DockerSecurity(user, groups, true, readonlyRootfs, List.of(), List.of(), opts, null, null, List.of(), List.of());
        }
        warnOnce(who, "privileged", h.capabilities());
        opts.add(SeccompProfiles.UNCONFINED);
        if (appArmor.isEmpty() && h.appArmor()) {
            opts.add(AppArmorProfiles.UNCONFINED);
        }
        return new DockerSecurity(user, groups, false, readonlyRootfs, List.of(Capability.ALL), h.capabilities().withheldDockerNames(), opts,
                List.of(), List.of(), hostDevices.get(), List.of(ALL_DEVICES_RULE));
    }

    private static void warnOnce(String who, String asked, HostCapabilities caps) {
        if (warnedWithheld.compareAndSet(false, true)) {
            log.info("{} asks for {}, but this host withholds {} from the container runtime; granting every capability it holds "
                    + "instead (Docker's ALL less those), as containerd does (logged once)", who, asked, caps.withheld());
        }
    }

    /**
     * {@code user[:group]} as containerd makes it: a name wins over a uid; a group alone is refused,
     * since Docker would otherwise pair it with the image's user silently.
     */
    static String user(String who, String username, Long uid, Long gid) {
        String user = username != null && !username.isEmpty() ? username : uid != null ? Long.toString(uid) : null;
        if (user == null) {
            if (gid != null) {
                throw CriErrors.invalidArgument("%s sets run_as_group %d without run_as_user or run_as_username", who, gid);
            }
            return null;
        }
        return gid == null ? user : user + ":" + gid;
    }

    private static List<Capability> union(List<Capability> a, List<Capability> b) {
        Set<Capability> all = new LinkedHashSet<>(a);
        all.addAll(b);
        return List.copyOf(all);
    }

    static List<Capability> capabilities(String who, List<String> names) {
        List<Capability> caps = new ArrayList<>();
        for (String name : names) {
            String n = name.toUpperCase(Locale.ROOT);
            n = n.startsWith("CAP_") ? n.substring(4) : n;
            try {
                caps.add(Capability.valueOf(n));
            } catch (IllegalArgumentException e) {
                throw CriErrors.invalidArgument("unknown capability %s for %s", name, who);
            }
        }
        return caps;
    }
}
