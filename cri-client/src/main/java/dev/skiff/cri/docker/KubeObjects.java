package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import dev.skiff.cri.CriErrors;

import com.github.dockerjava.api.exception.NotFoundException;

import java.util.Map;
import java.util.Optional;

/** Looks up the Docker container behind a CRI id, only if it is of the CRI kind asked for. */
final class KubeObjects {
    private KubeObjects() {}

    /**
     * The container for an id or unique id prefix whose {@code io.kubernetes.docker.type} label
     * is {@code type}; NOT_FOUND naming the {@code kind} ("pod sandbox", "container") otherwise,
     * so a sandbox id never passes for a container id or the other way round.
     */
    static InspectContainerResponse inspect(DockerClient docker, String id, String type, String kind) {
        return find(docker, id, type, kind).orElseThrow(() -> CriErrors.notFound("%s %s not found", kind, id));
    }

    /**
     * As {@link #inspect}, but an unknown id, or one of another kind, is empty: the calls the CRI
     * makes idempotent (Stop…, Remove…) succeed on it and leave other kinds' objects alone.
     */
    static Optional<InspectContainerResponse> find(DockerClient docker, String id, String type, String kind) {
        if (id == null || id.isEmpty()) {
            throw CriErrors.invalidArgument("%s id is empty", kind);
        }
        InspectContainerResponse r;
        try {
            r = docker.inspectContainerCmd(id).exec();
        } catch (NotFoundException e) {
            return Optional.empty();
        } catch (RuntimeException e) {
            throw DockerErrors.map(e, "inspect", kind + " " + id);
        }
        Map<String, String> labels = r.getConfig().getLabels();
        return labels != null && type.equals(labels.get(KubeLabels.TYPE)) ? Optional.of(r) : Optional.empty();
    }
}
