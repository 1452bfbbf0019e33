package dev.skiff.cri.docker;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.github.dockerjava.api.model.HostConfig;

import java.util.List;

/**
 * docker-java's HostConfig plus the create-body fields it lacks: {@code MaskedPaths} and
 * {@code ReadonlyPaths} (Docker API 1.40+). Unset (null) leaves Docker's defaults; an empty list
 * means none. docker-java serializes the create body with Jackson, so these travel in it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DockerHostConfig extends HostConfig {
    private static final long serialVersionUID = 1L;

    @JsonProperty("MaskedPaths")
    private List<String> maskedPaths;

    @JsonProperty("ReadonlyPaths")
    private List<String> readonlyPaths;

    public List<String> getMaskedPaths() {
        return maskedPaths;
    }

    public DockerHostConfig withMaskedPaths(List<String> paths) {
        this.maskedPaths = paths == null ? null : List.copyOf(paths);
        return this;
    }

    public List<String> getReadonlyPaths() {
        return readonlyPaths;
    }

    public DockerHostConfig withReadonlyPaths(List<String> paths) {
        this.readonlyPaths = paths == null ? null : List.copyOf(paths);
        return this;
    }
}
