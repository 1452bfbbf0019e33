package dev.skiff.cli;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;

import java.util.List;
import java.util.Optional;

/** Finds the pod a command names in {@code /pods}: exactly so, else the static pod {@code <name>-<its node>}. */
final class PodLookup {
    private PodLookup() {}

    static Optional<Pod> find(PodList pods, String namespace, String name) {
        List<Pod> inNamespace = pods == null || pods.getItems() == null ? List.of() : pods.getItems().stream()
                .filter(p -> p.getMetadata() != null && namespace.equals(p.getMetadata().getNamespace())).toList();
        return inNamespace.stream().filter(p -> name.equals(p.getMetadata().getName())).findFirst()
                .or(() -> inNamespace.stream().filter(p -> p.getSpec() != null && p.getSpec().getNodeName() != null
                        && (name + "-" + p.getSpec().getNodeName()).equals(p.getMetadata().getName())).findFirst());
    }
}
