package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodStatus;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * An in-memory API server and kubelet for controller unit tests: it applies reconciliations as the manager does
 * (uids and creation timestamps on create, updates by uid, deletes), holds pod statuses the test sets, and a clock.
 * Deleted pods vanish at once unless {@link #keepTerminating} is set.
 */
final class FakeCluster implements ControllerView {
    final Map<String, HasMetadata> objects = new LinkedHashMap<>();
    final Map<String, PodStatus> statuses = new HashMap<>();
    final List<ControllerEvent> events = new ArrayList<>();
    Instant now = Instant.parse("2026-12-07T12:00:00Z");
    Map<String, String> nodeLabels = new HashMap<>(Map.of("kubernetes.io/hostname", "node-1"));
    boolean keepTerminating;
    Optional<Duration> lastRequeue = Optional.empty();

    @Override
    public Instant now() {
        return now;
    }

    @Override
    public String nodeName() {
        return "node-1";
    }

    @Override
    public Map<String, String> nodeLabels() {
        return nodeLabels;
    }

    @Override
    public <T extends HasMetadata> List<T> owned(Class<T> type, String ownerUid) {
        List<T> out = new ArrayList<>();
        for (HasMetadata o : objects.values()) {
            if (type.isInstance(o) && controllerUid(o).equals(ownerUid)) {
                out.add(type.cast(Copies.deep(o)));
            }
        }
        out.sort(Comparator.comparing(o -> o.getMetadata().getName()));
        return out;
    }

    @Override
    public <T extends HasMetadata> Optional<T> get(Class<T> type, String namespace, String name) {
        return objects.values().stream().filter(type::isInstance)
                .filter(o -> name.equals(o.getMetadata().getName()))
                .filter(o -> namespace == null || namespace.equals(o.getMetadata().getNamespace()))
                .map(o -> type.cast(Copies.deep(o))).findFirst();
    }

    @Override
    public Optional<PodStatus> podStatus(String podUid) {
        return Optional.ofNullable(statuses.get(podUid));
    }

    /** Reconciles {@code workload} once and applies the answer; returns the workload with its new status. */
    @SuppressWarnings("unchecked")
    <T extends HasMetadata> T step(WorkloadController c, T workload) {
        Reconciliation r = c.reconcile(workload, this);
        apply(r);
        return r.status() == null ? workload : (T) r.status();
    }

    void apply(Reconciliation r) {
        for (HasMetadata o : r.create()) {
            HasMetadata copy = Copies.deep(o);
            copy.getMetadata().setUid(UUID.randomUUID().toString());
            copy.getMetadata().setCreationTimestamp(Times.format(now));
            if (objects.containsKey(key(copy))) {
                throw new AssertionError("duplicate create of " + key(copy));
            }
            objects.put(key(copy), copy);
        }
        for (HasMetadata o : r.update()) {
            HasMetadata stored = objects.get(key(o));
            if (stored == null || !stored.getMetadata().getUid().equals(o.getMetadata().getUid())) {
                throw new AssertionError("update of unknown " + key(o));
            }
            objects.put(key(o), Copies.deep(o));
        }
        for (ObjectRef ref : r.delete()) {
            String k = ref.kind() + "/" + ref.namespace() + "/" + ref.name();
            HasMetadata stored = objects.get(k);
            if (stored == null) {
                continue;
            }
            if (keepTerminating && stored instanceof Pod) {
                stored.getMetadata().setDeletionTimestamp(Times.format(now));
            } else {
                objects.remove(k);
            }
        }
        events.addAll(r.events());
        lastRequeue = r.requeueAfter();
    }

    /** A terminating pod is gone (the kubelet stopped it). */
    void finishTerminating() {
        objects.values().removeIf(o -> o.getMetadata().getDeletionTimestamp() != null);
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
        List<T> out = new ArrayList<>();
        for (HasMetadata o : objects.values()) {
            if (type.isInstance(o)) {
                out.add(type.cast(o));
            }
        }
        return out;
    }

    List<Pod> pods() {
        return all(Pod.class);
    }

    /** The kubelet's report for {@code pod}: the phase and, for Running, Ready since now. */
    void report(Pod pod, String phase, boolean ready) {
        PodStatus s = new PodStatus();
        s.setPhase(phase);
        PodCondition c = new PodCondition();
        c.setType("Ready");
        c.setStatus(ready ? "True" : "False");
        c.setLastTransitionTime(Times.format(now));
        s.setConditions(List.of(c));
        PodStatus before = statuses.get(pod.getMetadata().getUid());
        if (before != null && ready && PodStates.isReady(before)) {
            s = before;
        }
        statuses.put(pod.getMetadata().getUid(), s);
    }

    void readyAll() {
        for (Pod p : pods()) {
            if (p.getMetadata().getDeletionTimestamp() == null && !statuses.containsKey(p.getMetadata().getUid())) {
                report(p, "Running", true);
            }
        }
    }

    void tick(Duration d) {
        now = now.plus(d);
    }

    static String key(HasMetadata o) {
        return o.getKind() + "/" + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
    }

    static String controllerUid(HasMetadata o) {
        List<OwnerReference> refs = o.getMetadata().getOwnerReferences();
        if (refs == null) {
            return "";
        }
        return refs.stream().filter(r -> Boolean.TRUE.equals(r.getController())).map(OwnerReference::getUid)
                .findFirst().orElse("");
    }
}
