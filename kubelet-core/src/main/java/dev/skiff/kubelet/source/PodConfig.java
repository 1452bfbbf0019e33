package dev.skiff.kubelet.source;

import dev.skiff.kubelet.pod.StaticPods;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Merges the full pod sets of the sources ("file" today; "http" and "api" later) into incremental
 * {@link PodUpdate}s, as upstream's pkg/kubelet/config/config.go does in incremental mode: pods are matched by
 * uid; a known uid whose spec, labels, deletion fields or non-local annotations changed is an UPDATE, one whose
 * only change is its status is a RECONCILE, and one that differs only in the kubelet's own annotations
 * (config.seen, config.source, config.mirror) is no change at all. Updates queue up for the sync loop, which
 * takes them with {@link #poll(Duration)}.
 */
public final class PodConfig implements Consumer<SourceSnapshot> {
    private static final Logger LOG = LoggerFactory.getLogger(PodConfig.class);
    /** Annotations the kubelet sets itself; upstream's localAnnotations. */
    private static final Set<String> LOCAL_ANNOTATIONS = Set.of(StaticPods.CONFIG_SOURCE, StaticPods.CONFIG_MIRROR,
            StaticPods.CONFIG_SEEN);

    private final Map<String, Map<String, Pod>> podsBySource = new LinkedHashMap<>();
    private final Set<String> seenSources = new HashSet<>();
    private final BlockingQueue<PodUpdate> updates = new LinkedBlockingQueue<>();

    /** Takes a snapshot's pods as the whole set of its source. */
    @Override
    public void accept(SourceSnapshot snapshot) {
        update(snapshot.source(), snapshot.pods().stream().map(SourcePod::pod).toList());
    }

    /** Replaces the pods of {@code source} by {@code pods} (upstream's SET) and queues what changed. */
    public synchronized void update(String source, Collection<Pod> pods) {
        Objects.requireNonNull(source, "source");
        Map<String, Pod> old = podsBySource.getOrDefault(source, Map.of());
        Map<String, Pod> next = new LinkedHashMap<>();
        List<Pod> adds = new ArrayList<>();
        List<Pod> changed = new ArrayList<>();
        List<Pod> reconciles = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (Pod ref : pods) {
            String uid = ref.getMetadata() == null ? null : ref.getMetadata().getUid();
            if (uid == null || uid.isEmpty()) {
                LOG.warn("source {} gave pod {} without a uid; ignoring it", source, fullName(ref));
                continue;
            }
            if (!names.add(fullName(ref)) || next.containsKey(uid)) {
                // upstream's filterInvalidPods: the first of two pods with one name wins
                LOG.warn("source {} gave pod {} uid {} twice; ignoring the duplicate", source, fullName(ref), uid);
                continue;
            }
            Pod existing = old.get(uid);
            if (existing == null) {
                Pod added = copy(ref, source, null);
                next.put(uid, added);
                adds.add(added);
            } else if (differSemantically(existing, ref)) {
                // keep the first-seen time, as upstream's checkAndUpdatePod does
                Pod updated = copy(ref, source, seen(existing));
                next.put(uid, updated);
                changed.add(updated);
            } else if (!Objects.equals(existing.getStatus(), ref.getStatus())) {
                Pod reconciled = new PodBuilder(existing).withStatus(ref.getStatus()).build();
                next.put(uid, reconciled);
                reconciles.add(reconciled);
            } else {
                next.put(uid, existing);
            }
        }
        List<Pod> removes = old.entrySet().stream().filter(e -> !next.containsKey(e.getKey()))
                .map(Map.Entry::getValue).toList();
        podsBySource.put(source, next);
        boolean firstSet = seenSources.add(source);

        // upstream's order: removals first so a renamed pod's old copy stops before its new one starts
        emit(PodUpdate.Op.REMOVE, removes, source);
        emit(PodUpdate.Op.ADD, adds, source);
        emit(PodUpdate.Op.UPDATE, changed, source);
        if (firstSet && adds.isEmpty() && changed.isEmpty()) {
            LOG.info("source {} is ready with no pods", source);
            updates.add(new PodUpdate(PodUpdate.Op.ADD, List.of(), source));
        }
        emit(PodUpdate.Op.RECONCILE, reconciles, source);
    }

    /** The next update, waiting at most {@code timeout}; null when none came. */
    public PodUpdate poll(Duration timeout) throws InterruptedException {
        return updates.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The queue itself, for a sync loop that selects over several. */
    public BlockingQueue<PodUpdate> updates() {
        return updates;
    }

    /** True once every one of {@code sources} has delivered at least one snapshot (upstream's SeenAllSources). */
    public synchronized boolean seenAllSources(Collection<String> sources) {
        return seenSources.containsAll(sources);
    }

    /** All desired pods of all sources, as merged so far. */
    public synchronized List<Pod> pods() {
        List<Pod> all = new ArrayList<>();
        podsBySource.values().forEach(m -> all.addAll(m.values()));
        return all;
    }

    private void emit(PodUpdate.Op op, List<Pod> pods, String source) {
        if (pods.isEmpty()) {
            return;
        }
        for (Pod p : pods) {
            LOG.info("{} pod {} uid {} from source {}", op, fullName(p), p.getMetadata().getUid(), source);
        }
        updates.add(new PodUpdate(op, pods, source));
    }

    /** Upstream's podsDifferSemantically. */
    static boolean differSemantically(Pod existing, Pod ref) {
        return !(Objects.equals(existing.getSpec(), ref.getSpec())
                && Objects.equals(labels(existing), labels(ref))
                && Objects.equals(existing.getMetadata().getDeletionTimestamp(),
                ref.getMetadata().getDeletionTimestamp())
                && Objects.equals(existing.getMetadata().getDeletionGracePeriodSeconds(),
                ref.getMetadata().getDeletionGracePeriodSeconds())
                && nonLocalAnnotations(existing).equals(nonLocalAnnotations(ref)));
    }

    private static Map<String, String> labels(Pod p) {
        Map<String, String> l = p.getMetadata().getLabels();
        return l == null ? Map.of() : l;
    }

    private static Map<String, String> nonLocalAnnotations(Pod p) {
        Map<String, String> a = p.getMetadata().getAnnotations();
        Map<String, String> out = new HashMap<>();
        if (a != null) {
            a.forEach((k, v) -> {
                if (!LOCAL_ANNOTATIONS.contains(k)) {
                    out.put(k, v);
                }
            });
        }
        return out;
    }

    private static String seen(Pod p) {
        Map<String, String> a = p.getMetadata().getAnnotations();
        return a == null ? null : a.get(StaticPods.CONFIG_SEEN);
    }

    /** A private copy carrying config.source (as upstream stamps it) and, for an update, the first-seen time. */
    private static Pod copy(Pod ref, String source, String seen) {
        Pod p = new PodBuilder(ref).build();
        Map<String, String> annotations = p.getMetadata().getAnnotations() == null ? new LinkedHashMap<>()
                : new LinkedHashMap<>(p.getMetadata().getAnnotations());
        annotations.put(StaticPods.CONFIG_SOURCE, source);
        if (seen != null) {
            annotations.put(StaticPods.CONFIG_SEEN, seen);
        }
        p.getMetadata().setAnnotations(annotations);
        return p;
    }

    private static String fullName(Pod p) {
        return p.getMetadata() == null ? "<no metadata>"
                : p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
    }
}
