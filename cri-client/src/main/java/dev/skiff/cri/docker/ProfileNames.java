package dev.skiff.cri.docker;

import dev.skiff.cri.CriErrors;
import dev.skiff.cri.v1.SecurityProfile;

import java.util.Optional;

/** The deprecated string form of seccomp and AppArmor profiles, read as containerd reads it. */
final class ProfileNames {
    static final String LOCALHOST_PREFIX = "localhost/";

    private ProfileNames() {}

    /**
     * {@code runtime/default} and {@code docker/default} are RuntimeDefault, {@code unconfined} is Unconfined,
     * {@code localhost/<ref>} is Localhost; "" is unset (empty); anything else is refused.
     */
    static Optional<SecurityProfile> parse(String name, String kind, String who) {
        if (name == null || name.isEmpty()) {
            return Optional.empty();
        }
        SecurityProfile.Builder b = SecurityProfile.newBuilder();
        switch (name) {
            case "runtime/default", "docker/default" -> b.setProfileType(SecurityProfile.ProfileType.RuntimeDefault);
            case "unconfined" -> b.setProfileType(SecurityProfile.ProfileType.Unconfined);
            default -> {
                if (!name.startsWith(LOCALHOST_PREFIX)) {
                    throw CriErrors.invalidArgument("invalid %s profile %s for %s (runtime/default, unconfined or localhost/<profile>)",
                            kind, name, who);
                }
                b.setProfileType(SecurityProfile.ProfileType.Localhost).setLocalhostRef(name.substring(LOCALHOST_PREFIX.length()));
            }
        }
        return Optional.of(b.build());
    }
}
