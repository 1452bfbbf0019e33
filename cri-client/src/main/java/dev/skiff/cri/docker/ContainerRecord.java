package dev.skiff.cri.docker;

import com.github.dockerjava.api.command.InspectContainerResponse;
import dev.skiff.cri.v1.ContainerStatus;
import dev.skiff.cri.v1.PodSandboxStatus;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What the shim knows of one pod container or sandbox from one inspect: the parts its list answers are built from
 * and its whole status answer (a sandbox's without the call's timestamp). The index keeps one per object.
 *
 * @param type {@link KubeLabels#TYPE_SANDBOX} or {@link KubeLabels#TYPE_CONTAINER}
 * @param name Docker's name, with its leading {@code /}
 * @param dockerState Docker's state word (created, running, exited …)
 * @param configImage the image reference the container was created from
 * @param imageId the image's id ({@code sha256:…})
 * @param cgroupParent the sandbox's cgroup parent, which its containers join; empty when none
 * @param containerStatus a container's status; null for a sandbox
 * @param sandboxStatus a sandbox's status; null for a container
 */
record ContainerRecord(String id, String type, String name, Map<String, String> labels, String dockerState,
                       long createdNanos, String configImage, String imageId, boolean tty, String cgroupParent,
                       ContainerStatus containerStatus, PodSandboxStatus sandboxStatus) {

    /** The record of an inspected pod object; empty for a container that is neither sandbox nor pod container. */
    static Optional<ContainerRecord> of(InspectContainerResponse r) {
        Map<String, String> labels = r.getConfig().getLabels();
        String type = labels == null ? null : labels.get(KubeLabels.TYPE);
        boolean sandbox = KubeLabels.TYPE_SANDBOX.equals(type);
        if (!sandbox && !KubeLabels.TYPE_CONTAINER.equals(type)) {
            return Optional.empty();
        }
        String cgroupParent = r.getHostConfig() == null || r.getHostConfig().getCgroupParent() == null
                ? "" : r.getHostConfig().getCgroupParent();
        // in Docker's order (sorted keys), as its list gives them: the answers' map entries keep their wire order
        return Optional.of(new ContainerRecord(r.getId(), type, r.getName() == null ? "" : r.getName(),
                Collections.unmodifiableMap(new LinkedHashMap<>(labels)),
                r.getState().getStatus() == null ? "" : r.getState().getStatus(), ContainerService.nanos(r.getCreated()),
                r.getConfig().getImage() == null ? "" : r.getConfig().getImage(), r.getImageId() == null ? "" : r.getImageId(),
                Boolean.TRUE.equals(r.getConfig().getTty()), cgroupParent,
                sandbox ? null : ContainerService.status(r), sandbox ? SandboxService.statusOf(r) : null));
    }

    boolean isSandbox() {
        return KubeLabels.TYPE_SANDBOX.equals(type);
    }

    /** Docker's list gives whole seconds since the epoch. */
    long createdSeconds() {
        return Math.floorDiv(createdNanos, 1_000_000_000L);
    }

    /** Where StartContainer copies the container's output to. */
    ContainerService.LogTarget logTarget() {
        String path = labels.get(KubeLabels.LOG_PATH);
        return new ContainerService.LogTarget(id, path == null || path.isEmpty() ? Optional.empty() : Optional.of(Path.of(path)), tty);
    }
}
