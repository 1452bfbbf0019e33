package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Info;

import java.util.List;
import java.util.function.Supplier;

/**
 * What the host's Docker Engine can enforce: the capabilities it may grant, and whether it
 * has AppArmor and seccomp (as {@code docker info} lists them under SecurityOptions).
 */
public record HostSecurity(HostCapabilities capabilities, boolean appArmor, boolean seccomp) {

    /** From {@code docker info}'s SecurityOptions, e.g. {@code ["name=apparmor", "name=seccomp,profile=default"]}. */
    static HostSecurity of(HostCapabilities capabilities, List<String> securityOptions) {
        boolean appArmor = false;
        boolean seccomp = false;
        for (String option : securityOptions == null ? List.<String>of() : securityOptions) {
            for (String field : option.split(",")) {
                appArmor |= field.equals("name=apparmor");
                seccomp |= field.equals("name=seccomp");
            }
        }
        return new HostSecurity(capabilities, appArmor, seccomp);
    }

    /** Asks Docker once, at first use (not at construction: the shim may be built before Docker answers). */
    static Supplier<HostSecurity> probe(DockerClient docker) {
        return new Supplier<>() {
            private HostSecurity known;

            @Override
            public synchronized HostSecurity get() {
                if (known == null) {
                    Info info;
                    try {
                        info = docker.infoCmd().exec();
                    } catch (RuntimeException e) {
                        throw DockerErrors.map(e, "query", "Docker's security options (docker info)");
                    }
                    known = of(HostCapabilities.fromProc(), info.getSecurityOptions());
                }
                return known;
            }
        };
    }
}
