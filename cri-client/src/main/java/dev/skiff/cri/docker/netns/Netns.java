package dev.skiff.cri.docker.netns;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A network namespace to dial into: a namespace file ({@code /proc/<pid>/ns/net}), or none for the namespace Skiff
 * itself runs in (a host-network pod), with the name errors give it ("pod sandbox 0123456789ab (default/web)").
 */
public record Netns(Optional<Path> path, String name) {
    public Netns {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(name, "name");
    }

    /** The namespace the file at {@code path} refers to. */
    public static Netns at(Path path, String name) {
        return new Netns(Optional.of(path), name);
    }

    /** Skiff's own network namespace: sockets are opened on the calling thread, no namespace switch. */
    public static Netns own(String name) {
        return new Netns(Optional.empty(), name);
    }
}
