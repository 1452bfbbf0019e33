package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What a manager under test reads and writes: the manifests, the kubelet's statuses, the delivered pods and claims. */
final class ManagerFixture {
    final Map<String, List<HasMetadata>> manifests = new HashMap<>();
    final Map<String, PodStatus> statuses = new HashMap<>();
    List<Pod> pods = List.of();
    List<PersistentVolumeClaim> claims;

    /** A manager with its state under {@code dir}, at a fixed instant, on node {@code node-a}. */
    ControllerManager manager(Path dir, WorkloadController... controllers) {
        return new ControllerManager(new ControllerStore(dir), new Controllers(List.of(controllers)),
                k -> manifests.getOrDefault(k, List.of()), new ManifestObjects() {
                    @Override
                    public <T extends HasMetadata> Optional<T> get(Class<T> type, String namespace, String name) {
                        return Optional.empty();
                    }
                }, uid -> Optional.ofNullable(statuses.get(uid)), new ControllerManager.Delivery() {
                    @Override
                    public void pods(List<Pod> p) {
                        pods = p;
                    }

                    @Override
                    public void claims(List<PersistentVolumeClaim> c) {
                        claims = c;
                    }
                }, Clock.fixed(Instant.parse("2026-12-07T10:00:00Z"), ZoneOffset.UTC), "node-a", Map.of());
    }
}
