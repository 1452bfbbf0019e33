package dev.skiff.cri.server;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The scenarios of {@link CriCliScenarios} driven by crictl, the upstream CRI CLI (a Go gRPC client like the
 * kubelet's). Debian 12 ships no cri-tools package, so this runs only where crictl is on the PATH (or named by
 * $CRICTL) and is skipped, saying so, elsewhere; {@link CricliInteropIT} runs the same scenarios everywhere.
 * crictl 1.32 warns on stderr when /etc/crictl.yaml is absent: ids are read from stdout alone.
 */
class CrictlInteropIT extends CriCliScenarios {
    private String crictl;

    @Override
    Optional<String> prepareTool() {
        crictl = findCrictl().orElse(null);
        return crictl != null ? Optional.empty()
                : Optional.of("crictl is not installed: Debian 12 has no cri-tools package; put crictl on the PATH or set $CRICTL");
    }

    @Override
    ProcessBuilder tool(String endpoint, List<String> args) {
        return new ProcessBuilder(concat(List.of(crictl, "--runtime-endpoint", endpoint, "--image-endpoint", endpoint,
                "--timeout", "60s"), args));
    }

    private static Optional<String> findCrictl() {
        String named = System.getenv("CRICTL");
        if (named != null && Files.isExecutable(Path.of(named))) {
            return Optional.of(named);
        }
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(d -> Path.of(d, "crictl"))
                .filter(Files::isExecutable)
                .map(Path::toString)
                .findFirst();
    }
}
