package dev.skiff.kubelet.controller;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The workload controllers Skiff runs, one per kind (upstream's kube-controller-manager's list). Add a controller
 * to {@link #standard()}; the manager, the manifest validation and the read-only lists find it here.
 */
public final class Controllers {
    private final Map<String, WorkloadController> byKind = new LinkedHashMap<>();

    public Controllers(List<WorkloadController> controllers) {
        for (WorkloadController c : controllers) {
            if (byKind.putIfAbsent(c.kind(), c) != null) {
                throw new IllegalArgumentException("two controllers for kind " + c.kind());
            }
        }
    }

    /** Every controller Skiff ships. Controllers are stateless: one shared set serves every caller. */
    public static Controllers standard() {
        return Standard.INSTANCE;
    }

    private static final class Standard {
        // one controller per line: helpers add theirs side by side
        private static final java.util.Random RANDOM = new java.security.SecureRandom();
        static final Controllers INSTANCE = new Controllers(List.of(
                new StatefulSetController(),
                new DeploymentController(),
                new ReplicaSetController(RANDOM),
                new JobController(RANDOM),
                new DaemonSetController(RANDOM)
        ));
    }

    public Optional<WorkloadController> forKind(String kind) {
        return Optional.ofNullable(byKind.get(kind));
    }

    /** The workload kinds, in registration order. */
    public Set<String> kinds() {
        return byKind.keySet();
    }

    public List<WorkloadController> all() {
        return List.copyOf(byKind.values());
    }
}
