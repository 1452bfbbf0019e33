package dev.skiff.cri.docker;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skiff.cri.CriErrors;
import dev.skiff.cri.v1.SecurityProfile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * A CRI seccomp profile as Docker's {@code seccomp=} security option, as containerd reads it:
 * RuntimeDefault is Docker's default profile (what Docker applies when no option is given),
 * Unconfined is none, Localhost is the JSON of a profile file on the node, and an unset profile
 * is unconfined (the CRI spec; containerd's {@code unset_seccomp_profile} defaults to that).
 */
final class SeccompProfiles {
    /** Bigger than any real profile (Docker's default is about 20 KiB); a larger file is refused unread. */
    static final long MAX_PROFILE_BYTES = 1 << 20;
    static final String UNCONFINED = "seccomp=unconfined";
    private static final Set<String> ACTIONS = Set.of("SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
            "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY");
    private static final ObjectMapper JSON = new ObjectMapper();

    private SeccompProfiles() {}

    /**
     * @param profile    the typed profile, null when unset
     * @param legacyPath the deprecated {@code seccomp_profile_path} ({@code runtime/default}, {@code unconfined},
     *                   {@code localhost/<path>}), used when {@code profile} is unset
     * @param available  whether Docker on this host enforces seccomp
     * @param who        the object for error messages, e.g. {@code container app of pod default/web}
     * @return the option for Docker; empty for Docker's default profile
     */
    static Optional<String> securityOpt(SecurityProfile profile, String legacyPath, boolean available, String who) {
        SecurityProfile p = profile != null ? profile : ProfileNames.parse(legacyPath, "seccomp", who)
                .orElse(SecurityProfile.newBuilder().setProfileType(SecurityProfile.ProfileType.Unconfined).build());
        if (p.getProfileType() != SecurityProfile.ProfileType.Localhost && !p.getLocalhostRef().isEmpty()) {
            throw CriErrors.invalidArgument("seccomp profile of %s names localhost_ref %s but is of type %s; only Localhost takes a path",
                    who, p.getLocalhostRef(), p.getProfileType());
        }
        if (!available && p.getProfileType() != SecurityProfile.ProfileType.Unconfined) {
            throw CriErrors.failedPrecondition("%s asks for seccomp profile %s, but Docker on this host does not support seccomp",
                    who, p.getProfileType());
        }
        return switch (p.getProfileType()) {
            case Unconfined -> Optional.of(UNCONFINED);
            case RuntimeDefault -> Optional.empty();
            case Localhost -> Optional.of("seccomp=" + load(p.getLocalhostRef(), who));
            default -> throw CriErrors.invalidArgument("unknown seccomp profile type %s for %s", p.getProfileType(), who);
        };
    }

    /** The profile file's JSON, compacted; errors name the file but never quote it. */
    static String load(String ref, String who) {
        if (ref.isEmpty() || !ref.startsWith("/")) {
            throw CriErrors.invalidArgument("seccomp profile of %s is Localhost but %s is not an absolute path", who,
                    ref.isEmpty() ? "its localhost_ref" : ref);
        }
        Path path = Path.of(ref);
        String text;
        try {
            if (!Files.isRegularFile(path)) {
                throw CriErrors.invalidArgument("seccomp profile %s of %s does not exist (or is not a file)", path, who);
            }
            if (Files.size(path) > MAX_PROFILE_BYTES) {
                throw CriErrors.invalidArgument("seccomp profile %s of %s is larger than %d bytes", path, who, MAX_PROFILE_BYTES);
            }
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw CriErrors.invalidArgument("cannot read seccomp profile %s of %s (%s)", path, who, e.getClass().getSimpleName());
        }
        JsonNode tree;
        try {
            tree = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw CriErrors.invalidArgument("seccomp profile %s of %s is not valid JSON (line %d, column %d)", path, who,
                    at == null ? 0 : at.getLineNr(), at == null ? 0 : at.getColumnNr());
        }
        if (tree == null || !tree.isObject()) {
            throw CriErrors.invalidArgument("seccomp profile %s of %s is not a JSON object", path, who);
        }
        JsonNode action = tree.get("defaultAction");
        if (action == null || !action.isTextual() || !ACTIONS.contains(action.asText())) {
            throw CriErrors.invalidArgument("seccomp profile %s of %s has no valid defaultAction (one of SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, …)",
                    path, who);
        }
        JsonNode syscalls = tree.get("syscalls");
        if (syscalls != null && !syscalls.isNull() && !syscalls.isArray()) {
            throw CriErrors.invalidArgument("seccomp profile %s of %s: syscalls is not a list", path, who);
        }
        return tree.toString();
    }
}
