package dev.skiff.kubelet.controller;

import dev.skiff.kubelet.pod.Manifest;
import dev.skiff.kubelet.pod.StaticPodLoader;
import io.fabric8.kubernetes.api.model.HasMetadata;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** examples/workloads load through the manifest loader (which runs the controllers' validation) and are valid. */
class WorkloadExamplesTest {
    private static final Path DIR = Path.of("..", "examples", "workloads");

    @Test
    void everyWorkloadExampleLoadsAndValidates() throws Exception {
        Set<String> kinds = new HashSet<>();
        StaticPodLoader loader = new StaticPodLoader("node1");
        try (Stream<Path> files = Files.list(DIR)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                Manifest m = loader.load(f, Files.readAllBytes(f));
                for (HasMetadata o : m.objects()) {
                    kinds.add(o.getKind());
                    Controllers.standard().forKind(o.getKind()).ifPresent(c ->
                            assertEquals(java.util.List.of(), c.validate(o, Optional.empty()), f.toString()));
                }
            }
        }
        assertTrue(kinds.containsAll(Set.of("Deployment", "Job", "DaemonSet")), kinds::toString);
    }
}
