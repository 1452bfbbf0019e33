package dev.skiff.kubelet.status;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The kubelet's latest view of each pod's status, by uid (upstream pkg/kubelet/status/status_manager.go,
 * without an API server to sync to). On each update it keeps, as upstream does:
 * <ul>
 *   <li>a condition's lastTransitionTime while its status does not change (a new time when it does);</li>
 *   <li>the first startTime;</li>
 *   <li>a terminal phase: a Succeeded or Failed pod never goes back to Pending or Running;</li>
 *   <li>a deletion: once its source dropped the pod, it carries {@code deletionTimestamp} (when its grace period
 *       ends, as the API server sets it) and {@code deletionGracePeriodSeconds} until it is gone, so clients show
 *       it Terminating.</li>
 * </ul>
 * Thread-safe; statuses handed out are copies.
 */
public final class StatusManager {
    private static final Logger log = LoggerFactory.getLogger(StatusManager.class);

    private record Entry(Pod pod, PodStatus status, Deletion deletion) {
        Pod podWithDeletion() {
            if (deletion == null) {
                return pod;
            }
            return new PodBuilder(pod).editMetadata().withDeletionTimestamp(deletion.timestamp())
                    .withDeletionGracePeriodSeconds(deletion.gracePeriodSeconds()).endMetadata().build();
        }
    }

    private record Deletion(String timestamp, long gracePeriodSeconds) {
    }

    private final Clock clock;
    private final Map<String, Entry> byUid = new LinkedHashMap<>();
    /** Told of each change, in the order added (cluster DNS, the controller manager …). */
    private final List<PodStatusListener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final PodStatusListener listener = new PodStatusListener() {
        @Override
        public void podStatusChanged(Pod pod, PodStatus status) {
            listeners.forEach(l -> l.podStatusChanged(pod, status));
        }

        @Override
        public void podRemoved(String uid) {
            listeners.forEach(l -> l.podRemoved(uid));
        }
    };

    public StatusManager(Clock clock) {
        this.clock = clock;
    }

    public StatusManager() {
        this(Clock.systemUTC());
    }

    /** Tells {@code l} of each change from now on, instead of every listener set or added before. */
    public void setListener(PodStatusListener l) {
        listeners.clear();
        if (l != null) {
            listeners.add(l);
        }
    }

    /** Tells {@code l} too of each change from now on. */
    public void addListener(PodStatusListener l) {
        listeners.add(java.util.Objects.requireNonNull(l, "listener"));
    }

    /** Records {@code status} for {@code pod} (by its uid) and returns what was stored. */
    public synchronized PodStatus setPodStatus(Pod pod, PodStatus status) {
        String uid = pod.getMetadata().getUid();
        Entry old = byUid.get(uid);
        PodStatus next = copy(status);
        String now = PodStatusGenerator.rfc3339(clock.instant());
        if (old != null) {
            PodStatus prev = old.status();
            if (isTerminal(prev.getPhase()) && !prev.getPhase().equals(next.getPhase())) {
                log.warn("Pod {}/{} uid {}: ignoring phase {} after terminal phase {}", pod.getMetadata().getNamespace(),
                        pod.getMetadata().getName(), uid, next.getPhase(), prev.getPhase());
                next.setPhase(prev.getPhase());
                next.setReason(prev.getReason());
                next.setMessage(prev.getMessage());
            }
            if (prev.getStartTime() != null) {
                next.setStartTime(prev.getStartTime());
            }
            if (prev.getQosClass() != null) {
                next.setQosClass(prev.getQosClass());
            }
        }
        List<PodCondition> conditions = new ArrayList<>();
        if (next.getConditions() != null) {
            for (PodCondition c : next.getConditions()) {
                Optional<PodCondition> before = old == null || old.status().getConditions() == null ? Optional.empty()
                        : old.status().getConditions().stream().filter(o -> c.getType().equals(o.getType())).findFirst();
                if (before.isPresent() && before.get().getStatus().equals(c.getStatus())
                        && before.get().getLastTransitionTime() != null) {
                    c.setLastTransitionTime(before.get().getLastTransitionTime());
                } else {
                    c.setLastTransitionTime(now);
                }
                conditions.add(c);
            }
        }
        next.setConditions(conditions);
        if (old == null || !String.valueOf(old.status().getPhase()).equals(next.getPhase())) {
            log.info("Pod {}/{} uid {} phase {}", pod.getMetadata().getNamespace(), pod.getMetadata().getName(), uid,
                    next.getPhase());
        }
        Entry stored = new Entry(pod, next, old == null ? null : old.deletion());
        byUid.put(uid, stored);
        listener.podStatusChanged(stored.podWithDeletion(), next);
        return copy(next);
    }

    /**
     * Upstream SetContainerReadiness: a readiness probe's new result changes the container's {@code ready} and the
     * pod's ContainersReady and Ready conditions at once, without waiting for the pod's next sync (which follows and
     * agrees). Only a running container's readiness is set. Returns whether anything changed.
     */
    public synchronized boolean setContainerReadiness(String uid, String containerId, boolean ready) {
        Entry e = byUid.get(uid);
        if (e == null || containerId.isEmpty()) {
            return false;
        }
        PodStatus next = copy(e.status());
        List<io.fabric8.kubernetes.api.model.ContainerStatus> all = new ArrayList<>();
        if (next.getInitContainerStatuses() != null) {
            all.addAll(next.getInitContainerStatuses());
        }
        if (next.getContainerStatuses() != null) {
            all.addAll(next.getContainerStatuses());
        }
        Optional<io.fabric8.kubernetes.api.model.ContainerStatus> found = all.stream()
                .filter(c -> c.getContainerID() != null && c.getContainerID().endsWith("://" + containerId))
                .findFirst();
        if (found.isEmpty() || found.get().getState() == null || found.get().getState().getRunning() == null
                || Boolean.valueOf(ready).equals(found.get().getReady())) {
            return false;
        }
        found.get().setReady(ready);
        PodCondition containersReady = PodConditions.containersReady(e.pod().getSpec(), all, next.getPhase());
        PodCondition podReady = PodConditions.ready(e.pod().getSpec(), containersReady,
                next.getConditions() == null ? List.of() : next.getConditions());
        List<PodCondition> conditions = new ArrayList<>();
        for (PodCondition c : next.getConditions() == null ? List.<PodCondition>of() : next.getConditions()) {
            conditions.add(switch (c.getType()) {
                case PodConditions.CONTAINERS_READY -> containersReady;
                case PodConditions.READY -> podReady;
                default -> c;
            });
        }
        next.setConditions(conditions);
        setPodStatus(e.pod(), next);
        return true;
    }

    /**
     * Marks the pod with this uid as being deleted at {@code now} with {@code gracePeriod}; kept until
     * {@link #remove}. The first mark wins, as the API server keeps the first deletionTimestamp. No-op for a pod
     * without a status.
     */
    public synchronized void markDeleted(String uid, Instant now, Duration gracePeriod) {
        Entry e = byUid.get(uid);
        if (e == null || e.deletion() != null) {
            return;
        }
        Deletion d = new Deletion(PodStatusGenerator.rfc3339(now.plus(gracePeriod)), gracePeriod.toSeconds());
        Entry marked = new Entry(e.pod(), e.status(), d);
        byUid.put(uid, marked);
        listener.podStatusChanged(marked.podWithDeletion(), marked.status());
    }

    /** The last status recorded for the pod with this uid. */
    public synchronized Optional<PodStatus> status(String uid) {
        Entry e = byUid.get(uid);
        return e == null ? Optional.empty() : Optional.of(copy(e.status()));
    }

    /**
     * The last status recorded for the pod with this uid, without the copy {@link #status} makes: for hot readers
     * (a probe tick, 100+ per second) that only read it. Stored statuses are replaced, never changed, so the object
     * stays consistent; the caller must not modify it.
     */
    public synchronized Optional<PodStatus> statusView(String uid) {
        Entry e = byUid.get(uid);
        return e == null ? Optional.empty() : Optional.of(e.status());
    }

    /** Forgets the pod (it was removed from its source and its resources are gone). */
    public synchronized void remove(String uid) {
        if (byUid.remove(uid) != null) {
            log.debug("Pod uid {} status removed", uid);
            listener.podRemoved(uid);
        }
    }

    /** The uids with a recorded status. */
    public synchronized java.util.Set<String> uids() {
        return java.util.Set.copyOf(byUid.keySet());
    }

    /** Every known pod with its status, ordered by namespace and name: what {@code /pods} serves. */
    public synchronized List<Pod> pods() {
        List<Pod> out = new ArrayList<>();
        for (Entry e : byUid.values()) {
            out.add(new PodBuilder(e.podWithDeletion()).withStatus(copy(e.status())).build());
        }
        out.sort(Comparator.comparing((Pod p) -> String.valueOf(p.getMetadata().getNamespace()))
                .thenComparing(p -> String.valueOf(p.getMetadata().getName())));
        return out;
    }

    public static boolean isTerminal(String phase) {
        return PodStatusGenerator.SUCCEEDED.equals(phase) || PodStatusGenerator.FAILED.equals(phase);
    }

    private static PodStatus copy(PodStatus s) {
        return new PodStatusBuilder(s).build();
    }
}
