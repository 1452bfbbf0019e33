package dev.skiff.kubelet.pod;

import dev.skiff.kubelet.controller.Controllers;
import io.fabric8.kubernetes.api.model.HasMetadata;

import java.util.List;
import java.util.Optional;

/** The static checks of a workload in a manifest file: its controller's validation, with nothing accepted before. */
public final class WorkloadValidators {
    private WorkloadValidators() {}

    /** Upstream's field errors for {@code o}; empty when valid or when no controller handles its kind. */
    public static List<String> validate(HasMetadata o) {
        return Controllers.standard().forKind(o.getKind()).map(c -> c.validate(o, Optional.empty()))
                .orElse(List.of());
    }
}
