package dev.skiff.kubelet.kuberuntime;

import dev.skiff.cri.v1.Capability;
import dev.skiff.cri.v1.Int64Value;
import dev.skiff.cri.v1.LinuxContainerSecurityContext;
import dev.skiff.cri.v1.SecurityProfile;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.SecurityContext;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A container's effective security context (container fields over pod fields) as CRI
 * (upstream security_context.go determineEffectiveSecurityContext, verifyRunAsNonRoot).
 */
final class ContainerSecurity {
    private ContainerSecurity() {
    }

    static LinuxContainerSecurityContext of(Pod pod, Container container, Optional<Long> imageUid, String imageUsername,
                                            Path seccompRoot) throws CreateConfigException {
        PodSecurityContext psc = pod.getSpec().getSecurityContext();
        SecurityContext csc = container.getSecurityContext();
        Long runAsUser = pick(csc == null ? null : csc.getRunAsUser(), psc == null ? null : psc.getRunAsUser());
        Long runAsGroup = pick(csc == null ? null : csc.getRunAsGroup(), psc == null ? null : psc.getRunAsGroup());
        Boolean runAsNonRoot = pick(csc == null ? null : csc.getRunAsNonRoot(), psc == null ? null : psc.getRunAsNonRoot());
        verifyRunAsNonRoot(pod, container, runAsNonRoot, runAsUser, imageUid, imageUsername);

        LinuxContainerSecurityContext.Builder b = LinuxContainerSecurityContext.newBuilder()
                .setNamespaceOptions(PodNamespaces.of(pod))
                .addAllSupplementalGroups(SandboxConfigFactory.supplementalGroups(psc))
                .setSeccomp(seccomp(csc, psc, seccompRoot));
        if (runAsUser != null) {
            b.setRunAsUser(Int64Value.newBuilder().setValue(runAsUser));
        } else {
            imageUid.ifPresent(uid -> b.setRunAsUser(Int64Value.newBuilder().setValue(uid)));
            b.setRunAsUsername(imageUsername == null ? "" : imageUsername);
        }
        if (runAsGroup != null) {
            b.setRunAsGroup(Int64Value.newBuilder().setValue(runAsGroup));
        }
        if (csc != null) {
            b.setPrivileged(Boolean.TRUE.equals(csc.getPrivileged()));
            b.setReadonlyRootfs(Boolean.TRUE.equals(csc.getReadOnlyRootFilesystem()));
            // only an explicit allowPrivilegeEscalation: false sets no_new_privs
            b.setNoNewPrivs(Boolean.FALSE.equals(csc.getAllowPrivilegeEscalation()));
            if (csc.getCapabilities() != null) {
                Capability.Builder caps = Capability.newBuilder();
                if (csc.getCapabilities().getAdd() != null) {
                    caps.addAllAddCapabilities(csc.getCapabilities().getAdd());
                }
                if (csc.getCapabilities().getDrop() != null) {
                    caps.addAllDropCapabilities(csc.getCapabilities().getDrop());
                }
                b.setCapabilities(caps);
            }
        }
        return b.build();
    }

    private static void verifyRunAsNonRoot(Pod pod, Container container, Boolean runAsNonRoot, Long runAsUser,
                                           Optional<Long> imageUid, String imageUsername) throws CreateConfigException {
        if (!Boolean.TRUE.equals(runAsNonRoot)) {
            return;
        }
        String who = "(pod: \"" + pod.getMetadata().getName() + "_" + pod.getMetadata().getNamespace() + "("
                + pod.getMetadata().getUid() + ")\", container: " + container.getName() + ")";
        if (runAsUser != null) {
            if (runAsUser == 0) {
                throw new CreateConfigException("container's runAsUser breaks non-root policy " + who);
            }
            return;
        }
        if (imageUid.isPresent() && imageUid.get() == 0) {
            throw new CreateConfigException("container has runAsNonRoot and image will run as root " + who);
        }
        if (imageUid.isEmpty() && imageUsername != null && !imageUsername.isEmpty()) {
            throw new CreateConfigException("container has runAsNonRoot and image has non-numeric user (" + imageUsername
                    + "), cannot verify user is non-root " + who);
        }
    }

    /** Container field, then pod field, else Unconfined (the kubelet's default without SeccompDefault). */
    private static SecurityProfile seccomp(SecurityContext csc, PodSecurityContext psc, Path seccompRoot) {
        SeccompProfile p = csc != null && csc.getSeccompProfile() != null ? csc.getSeccompProfile()
                : psc != null ? psc.getSeccompProfile() : null;
        if (p == null) {
            return SecurityProfile.newBuilder().setProfileType(SecurityProfile.ProfileType.Unconfined).build();
        }
        return switch (p.getType() == null ? "" : p.getType()) {
            case "RuntimeDefault" -> SecurityProfile.newBuilder().setProfileType(SecurityProfile.ProfileType.RuntimeDefault).build();
            case "Localhost" -> SecurityProfile.newBuilder().setProfileType(SecurityProfile.ProfileType.Localhost)
                    .setLocalhostRef(seccompRoot.resolve(p.getLocalhostProfile() == null ? "" : p.getLocalhostProfile()).toString())
                    .build();
            default -> SecurityProfile.newBuilder().setProfileType(SecurityProfile.ProfileType.Unconfined).build();
        };
    }

    private static <T> T pick(T container, T pod) {
        return container != null ? container : pod;
    }
}
