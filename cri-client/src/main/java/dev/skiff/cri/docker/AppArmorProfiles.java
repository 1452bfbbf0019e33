package dev.skiff.cri.docker;

import dev.skiff.cri.CriErrors;
import dev.skiff.cri.v1.SecurityProfile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A CRI AppArmor profile as Docker's {@code apparmor=} security option, as containerd 1.6 reads it:
 * unset and RuntimeDefault are Docker's {@code docker-default} (what Docker applies when no option is
 * given), Unconfined is none, Localhost names a profile loaded in the kernel. On a host without
 * AppArmor any profile but Unconfined is refused ("apparmor is not supported", containerd says).
 */
final class AppArmorProfiles {
    static final String UNCONFINED = "apparmor=unconfined";
    /** Where the kernel lists loaded profiles, one {@code name (mode)} a line. */
    static final Path LOADED = Path.of("/sys/kernel/security/apparmor/profiles");

    private AppArmorProfiles() {}

    /**
     * @param profile    the typed profile, null when unset
     * @param legacyName the deprecated {@code apparmor_profile}, used when {@code profile} is unset
     * @param available  whether Docker on this host has AppArmor
     * @return the option for Docker; empty for Docker's own choice (docker-default, or none when privileged)
     */
    static Optional<String> securityOpt(SecurityProfile profile, String legacyName, boolean available, String who) {
        Optional<SecurityProfile> p = profile != null ? Optional.of(profile) : ProfileNames.parse(legacyName, "AppArmor", who);
        if (p.isEmpty()) {
            return Optional.empty();
        }
        SecurityProfile.ProfileType type = p.get().getProfileType();
        if (type != SecurityProfile.ProfileType.Localhost && !p.get().getLocalhostRef().isEmpty()) {
            throw CriErrors.invalidArgument("AppArmor profile of %s names localhost_ref %s but is of type %s; only Localhost takes a name",
                    who, p.get().getLocalhostRef(), type);
        }
        if (!available) {
            if (type == SecurityProfile.ProfileType.Unconfined) {
                return Optional.empty();
            }
            throw CriErrors.failedPrecondition("%s asks for AppArmor profile %s, but this host has no AppArmor "
                    + "(Docker lists none); use Unconfined or leave it unset", who, describe(p.get()));
        }
        return switch (type) {
            case Unconfined -> Optional.of(UNCONFINED);
            case RuntimeDefault -> Optional.empty();
            case Localhost -> Optional.of("apparmor=" + loaded(p.get().getLocalhostRef(), who));
            default -> throw CriErrors.invalidArgument("unknown AppArmor profile type %s for %s", type, who);
        };
    }

    private static String describe(SecurityProfile p) {
        return p.getProfileType() == SecurityProfile.ProfileType.Localhost ? ProfileNames.LOCALHOST_PREFIX + p.getLocalhostRef()
                : p.getProfileType().name();
    }

    /** The profile name, if the kernel has it loaded (runc would fail the start otherwise). */
    private static String loaded(String ref, String who) {
        String name = ref.startsWith(ProfileNames.LOCALHOST_PREFIX) ? ref.substring(ProfileNames.LOCALHOST_PREFIX.length()) : ref;
        if (name.isEmpty()) {
            throw CriErrors.invalidArgument("AppArmor profile of %s is Localhost but names no profile", who);
        }
        try {
            for (String line : Files.readAllLines(LOADED, StandardCharsets.UTF_8)) {
                if (line.startsWith(name + " (")) {
                    return name;
                }
            }
        } catch (IOException e) {
            throw CriErrors.failedPrecondition("cannot list the loaded AppArmor profiles in %s for %s (%s)", LOADED, who,
                    e.getClass().getSimpleName());
        }
        throw CriErrors.failedPrecondition("AppArmor profile %s of %s is not loaded on this host", name, who);
    }
}
