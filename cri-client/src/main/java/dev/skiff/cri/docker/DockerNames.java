package dev.skiff.cri.docker;

import dev.skiff.cri.CriErrors;
import dev.skiff.cri.v1.ContainerMetadata;
import dev.skiff.cri.v1.PodSandboxMetadata;

import java.util.Optional;

/**
 * Docker container names as cri-dockerd makes them: {@code k8s_POD_<pod>_<ns>_<uid>_<attempt>}
 * for a sandbox, {@code k8s_<container>_<pod>_<ns>_<uid>_<attempt>} for a container. Kubernetes
 * names, namespaces and UIDs hold no underscore, so the parts split back unambiguously.
 */
public final class DockerNames {
    static final String PREFIX = "k8s";
    static final String SANDBOX_CONTAINER = "POD";

    private DockerNames() {}

    public static String sandbox(PodSandboxMetadata pod) {
        checkPod(pod);
        return String.join("_", PREFIX, SANDBOX_CONTAINER, pod.getName(), pod.getNamespace(), pod.getUid(),
                Integer.toUnsignedString(pod.getAttempt()));
    }

    public static String container(ContainerMetadata container, PodSandboxMetadata pod) {
        checkPod(pod);
        noUnderscore("container name", container.getName());
        return String.join("_", PREFIX, container.getName(), pod.getName(), pod.getNamespace(), pod.getUid(),
                Integer.toUnsignedString(container.getAttempt()));
    }

    private static void checkPod(PodSandboxMetadata pod) {
        noUnderscore("pod name", pod.getName());
        noUnderscore("pod namespace", pod.getNamespace());
        noUnderscore("pod uid", pod.getUid());
    }

    /** A '_' would shift every later part of the name: refuse it rather than misparse it later. */
    private static void noUnderscore(String what, String value) {
        if (value.indexOf('_') >= 0) {
            throw CriErrors.invalidArgument("%s %s contains '_', which Docker container names here use as the separator", what, value);
        }
    }

    /** The parts of a name made here (cri-dockerd's random {@code _<hex>} conflict suffix tolerated); empty for anything else. A leading '/' (as Docker reports names) is ignored. */
    public static Optional<Parsed> parse(String dockerName) {
        if (dockerName == null) {
            return Optional.empty();
        }
        String name = dockerName.startsWith("/") ? dockerName.substring(1) : dockerName;
        String[] parts = name.split("_", -1);
        if ((parts.length != 6 && !(parts.length == 7 && parts[6].matches("[0-9a-f]+"))) || !parts[0].equals(PREFIX)) {
            return Optional.empty();
        }
        for (int i = 1; i < 5; i++) {
            if (parts[i].isEmpty()) {
                return Optional.empty();
            }
        }
        int attempt;
        try {
            attempt = Integer.parseUnsignedInt(parts[5]);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        return Optional.of(new Parsed(parts[1], parts[2], parts[3], parts[4], attempt));
    }

    /** @param containerName {@code POD} for a sandbox */
    public record Parsed(String containerName, String podName, String podNamespace, String podUid, int attempt) {
        public boolean isSandbox() {
            return SANDBOX_CONTAINER.equals(containerName);
        }

        public PodSandboxMetadata podMetadata() {
            return PodSandboxMetadata.newBuilder().setName(podName).setNamespace(podNamespace).setUid(podUid)
                    .setAttempt(attempt).build();
        }

        public ContainerMetadata containerMetadata() {
            return ContainerMetadata.newBuilder().setName(containerName).setAttempt(attempt).build();
        }
    }
}
