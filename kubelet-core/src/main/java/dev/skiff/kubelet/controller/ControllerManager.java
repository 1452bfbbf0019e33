package dev.skiff.kubelet.controller;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skiff.kubelet.pod.PodDefaults;
import dev.skiff.kubelet.pod.StaticPods;
import dev.skiff.kubelet.status.PodStatusGenerator;
import dev.skiff.kubelet.status.PodStatusListener;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Runs the {@link WorkloadController}s on one thread ({@code controller-manager}), playing the API server's part
 * for them: see the package documentation. Woken when the manifests change ({@link #workloadsChanged()}), when a
 * pod it made changes status (it is a {@link PodStatusListener}) and when a reconcile asked to be requeued; also
 * every {@link #RESYNC}, as upstream's informers resync.
 *
 * <p>Before the manifest directory has been read once it only hands the persisted pods and claims to the kubelet
 * (so a restart stops nothing); it accepts, reconciles and collects garbage only from then on.
 */
public final class ControllerManager implements PodStatusListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControllerManager.class);
    /** The pod source name of the pods the controllers make. */
    public static final String SOURCE = "controller";
    static final Duration RESYNC = Duration.ofSeconds(30);
    /** A write of the state that failed is tried again this soon. */
    static final Duration SAVE_RETRY = Duration.ofSeconds(1);
    /** Reconciles of one workload in one pass, at most: each does one step; a runaway controller cannot spin. */
    static final int MAX_STEPS = 50;
    /** Rounds over all workloads in one pass, at most (owners read what their objects' controllers wrote). */
    static final int MAX_ROUNDS = 5;
    private static final long DEFAULT_GRACE_SECONDS = 30;
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    /** Where the manager's results go: the kubelet's pod source and the object store. */
    public interface Delivery {
        /** The controller-made pods that should run now (terminating ones left out): the whole set. */
        void pods(List<Pod> pods);

        /** The controller-made claims: the whole set. */
        void claims(List<PersistentVolumeClaim> claims);
    }

    private final ControllerStore store;
    private final Controllers controllers;
    private final Function<String, List<HasMetadata>> manifestWorkloads;
    private final ManifestObjects manifests;
    private final Function<String, Optional<PodStatus>> statuses;
    private final Delivery delivery;
    private final Clock clock;
    private final String nodeName;
    private final Map<String, String> nodeLabels;
    private final Random random = new SecureRandom();

    private final Object lock = new Object();
    private boolean wake;
    private boolean workloadsSeen;
    private boolean stopped;
    private Thread thread;

    // manager thread only
    private final Map<String, Instant> requeueAt = new HashMap<>();
    private boolean unsaved;
    private List<Pod> deliveredPods;
    private List<PersistentVolumeClaim> deliveredClaims;

    private volatile Set<String> podUids = Set.of();
    private volatile List<WorkloadError> errors = List.of();

    /**
     * @param manifestWorkloads the manifest directory's objects of a kind (the object store's {@code list})
     * @param manifests         a manifest object by type, namespace and name (a claim, a Service)
     * @param statuses          the status the kubelet last generated for a pod uid
     */
    public ControllerManager(ControllerStore store, Controllers controllers,
                             Function<String, List<HasMetadata>> manifestWorkloads, ManifestObjects manifests,
                             Function<String, Optional<PodStatus>> statuses, Delivery delivery, Clock clock,
                             String nodeName, Map<String, String> nodeLabels) {
        this.store = store;
        this.controllers = controllers;
        this.manifestWorkloads = manifestWorkloads;
        this.manifests = manifests;
        this.statuses = statuses;
        this.delivery = delivery;
        this.clock = clock;
        this.nodeName = nodeName;
        this.nodeLabels = Map.copyOf(nodeLabels);
    }

    /**
     * Loads the persisted state, hands its pods and claims over (before this returns: the sync loop sees the
     * {@code controller} source with the pods it ran before) and starts the thread.
     *
     * @throws IOException when the state cannot be read
     */
    public void start() throws IOException {
        store.load();
        deliver();
        synchronized (lock) {
            if (stopped) {
                return;
            }
            thread = new Thread(this::run, "controller-manager");
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** The manifest directory's objects changed (and, the first time, have been read). */
    public void workloadsChanged() {
        synchronized (lock) {
            workloadsSeen = true;
            wake = true;
            lock.notifyAll();
        }
    }

    @Override
    public void podStatusChanged(Pod pod, PodStatus status) {
        if (podUids.contains(pod.getMetadata().getUid())) {
            wakeUp();
        }
    }

    @Override
    public void podRemoved(String uid) {
        if (podUids.contains(uid)) {
            wakeUp();
        }
    }

    /** The workloads refused, for {@code /manifests/errors}. */
    public List<WorkloadError> errors() {
        return errors;
    }

    /** The workloads with their status and the objects the controllers made, for the read-only lists. */
    public ControllerStore.Snapshot snapshot() {
        return store.snapshot();
    }

    private void wakeUp() {
        synchronized (lock) {
            wake = true;
            lock.notifyAll();
        }
    }

    private void run() {
        log.info("controller manager started with controllers for {}", controllers.kinds());
        while (true) {
            boolean seen;
            synchronized (lock) {
                long waitMillis = Math.max(1, Duration.between(clock.instant(), nextDue()).toMillis());
                long deadline = System.nanoTime() + waitMillis * 1_000_000L;
                while (!wake && !stopped) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    try {
                        lock.wait(Math.max(1, left / 1_000_000L));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                if (stopped) {
                    break;
                }
                wake = false;
                seen = workloadsSeen;
            }
            try {
                pass(seen);
            } catch (RuntimeException e) {
                log.error("controller manager pass failed; trying again at the next wake-up", e);
            }
        }
        log.info("controller manager stopped");
    }

    private Instant nextDue() {
        Instant due = clock.instant().plus(unsaved ? SAVE_RETRY : RESYNC);
        for (Instant t : requeueAt.values()) {
            if (t.isBefore(due)) {
                due = t;
            }
        }
        return due;
    }

    /** One round: accept manifest changes, forget pods the kubelet is done with, collect garbage, reconcile. */
    void pass(boolean workloadsSeen) {
        boolean changed = purgeGonePods();
        if (workloadsSeen) {
            changed |= acceptWorkloads();
            changed |= collectGarbage();
            // Rounds until quiet: a ReplicaSet's status made in one round is what its Deployment reads in the next.
            for (int round = 0; round < MAX_ROUNDS; round++) {
                boolean roundChanged = false;
                for (HasMetadata w : reconcilable()) {
                    roundChanged |= reconcile(w);
                }
                changed |= roundChanged;
                if (!roundChanged) {
                    break;
                }
            }
            changed |= purgeGonePods(); // pods deleted just now that never ran
        }
        if (changed || unsaved) {
            try {
                store.save();
                unsaved = false;
            } catch (IOException e) {
                unsaved = true;
                log.error("cannot save the controller state to {}: {}; nothing new is run until it is saved",
                        store.file(), e.toString());
                return;
            }
        }
        deliver();
    }

    /** Hands the pods and claims over, when they differ from what was handed last. */
    private void deliver() {
        List<Pod> pods = new ArrayList<>();
        List<PersistentVolumeClaim> claims = new ArrayList<>();
        Set<String> uids = new HashSet<>();
        for (HasMetadata o : store.objects()) {
            if (o instanceof Pod p) {
                uids.add(p.getMetadata().getUid());
                if (p.getMetadata().getDeletionTimestamp() == null) {
                    pods.add(ControllerStore.copy(p));
                }
            } else if (o instanceof PersistentVolumeClaim c) {
                claims.add(ControllerStore.copy(c));
            }
        }
        podUids = Set.copyOf(uids);
        if (!pods.equals(deliveredPods)) {
            delivery.pods(pods);
            deliveredPods = pods;
        }
        if (!claims.equals(deliveredClaims)) {
            delivery.claims(claims);
            deliveredClaims = claims;
        }
    }

    /**
     * Takes each manifest workload its controller finds valid (against the version accepted before: immutable
     * fields); an invalid one leaves the previous version in force and is listed in {@link #errors()}.
     */
    private boolean acceptWorkloads() {
        boolean changed = false;
        List<WorkloadError> refused = new ArrayList<>();
        Set<String> present = new HashSet<>();
        for (WorkloadController controller : controllers.all()) {
            for (HasMetadata manifest : manifestWorkloads.apply(controller.kind())) {
                HasMetadata w = ControllerStore.copy(manifest);
                ObjectMeta meta = w.getMetadata();
                if (meta.getNamespace() == null || meta.getNamespace().isEmpty()) {
                    meta.setNamespace("default");
                }
                String key = ControllerStore.key(w);
                present.add(key);
                Optional<HasMetadata> previous = store.workload(key);
                List<String> problems;
                try {
                    problems = controller.validate(w, previous);
                } catch (RuntimeException e) {
                    log.error("validating {}", key, e);
                    problems = List.of("cannot be validated: " + e);
                }
                if (!problems.isEmpty()) {
                    refused.add(new WorkloadError(key, "invalid " + w.getKind() + ": " + String.join("; ", problems)
                            + (previous.isPresent() ? " (the version accepted before stays in force)" : "")));
                    continue;
                }
                if (previous.isPresent() && sameDesired(previous.get(), w)) {
                    continue;
                }
                meta.setUid(ObjectNames.workloadUid(w.getKind(), meta.getNamespace(), meta.getName()));
                meta.setGeneration(previous.map(p -> p.getMetadata().getGeneration()).map(g -> g + 1).orElse(1L));
                meta.setCreationTimestamp(previous.map(p -> p.getMetadata().getCreationTimestamp())
                        .orElse(PodStatusGenerator.rfc3339(clock.instant())));
                HasMetadata accepted = previous.map(p -> withStatusOf(w, p)).orElse(w);
                store.putWorkload(accepted);
                log.info("{} {}/{} uid {} accepted (generation {})", w.getKind(), meta.getNamespace(), meta.getName(),
                        meta.getUid(), meta.getGeneration());
                changed = true;
            }
        }
        for (HasMetadata w : store.workloads()) {
            String key = ControllerStore.key(w);
            if (!present.contains(key)) {
                store.removeWorkload(key);
                requeueAt.remove(w.getMetadata().getUid());
                log.info("{} {}/{} uid {} removed from the manifests: what it owns is deleted", w.getKind(),
                        w.getMetadata().getNamespace(), w.getMetadata().getName(), w.getMetadata().getUid());
                changed = true;
            }
        }
        errors = List.copyOf(refused);
        return changed;
    }

    /** Same spec, labels and annotations: nothing for the controller to roll out. */
    private static boolean sameDesired(HasMetadata a, HasMetadata b) {
        JsonNode x = ControllerStore.JSON.valueToTree(a);
        JsonNode y = ControllerStore.JSON.valueToTree(b);
        return Objects.equals(x.get("spec"), y.get("spec"))
                && Objects.equals(x.path("metadata").get("labels"), y.path("metadata").get("labels"))
                && Objects.equals(x.path("metadata").get("annotations"), y.path("metadata").get("annotations"));
    }

    /** {@code target} with the status of {@code source} (the status field of any kind). */
    private static HasMetadata withStatusOf(HasMetadata target, HasMetadata source) {
        ObjectNode t = ControllerStore.JSON.valueToTree(target);
        JsonNode status = ControllerStore.JSON.valueToTree(source).get("status");
        if (status == null || status.isNull()) {
            t.remove("status");
        } else {
            t.set("status", status);
        }
        return ControllerStore.JSON.convertValue(t, target.getClass());
    }

    /** A deleted pod stays until the kubelet has no status for it any more (its containers are gone). */
    private boolean purgeGonePods() {
        boolean changed = false;
        for (HasMetadata o : store.objects()) {
            if (o instanceof Pod p && p.getMetadata().getDeletionTimestamp() != null
                    && statuses.apply(p.getMetadata().getUid()).isEmpty()) {
                store.removeObject(p.getMetadata().getUid());
                log.info("Pod {}/{} uid {} is gone", p.getMetadata().getNamespace(), p.getMetadata().getName(),
                        p.getMetadata().getUid());
                changed = true;
            }
        }
        return changed;
    }

    /**
     * The garbage collector's background deletion: an object none of whose owners exists any more is deleted
     * (repeated, so a ReplicaSet's pods follow their Deployment's ReplicaSet in the same pass).
     */
    private boolean collectGarbage() {
        boolean changed = false;
        boolean again = true;
        while (again) {
            again = false;
            Set<String> live = new HashSet<>();
            store.workloads().forEach(w -> live.add(w.getMetadata().getUid()));
            store.objects().forEach(o -> live.add(o.getMetadata().getUid()));
            for (HasMetadata o : store.objects()) {
                List<OwnerReference> refs = o.getMetadata().getOwnerReferences();
                if (refs == null || refs.isEmpty() || refs.stream().anyMatch(r -> live.contains(r.getUid()))) {
                    continue;
                }
                if (o instanceof Pod && o.getMetadata().getDeletionTimestamp() != null) {
                    continue;
                }
                log.info("{} {}/{} uid {}: its owner {} is gone; deleting it", o.getKind(), o.getMetadata().getNamespace(),
                        o.getMetadata().getName(), o.getMetadata().getUid(), refs.get(0).getKind() + "/" + refs.get(0).getName());
                again |= delete(o);
                changed = true;
            }
        }
        return changed;
    }

    /** The manifest workloads, then the controller-made objects a controller runs (a Deployment's ReplicaSets). */
    private List<HasMetadata> reconcilable() {
        List<HasMetadata> out = new ArrayList<>(store.workloads());
        for (HasMetadata o : store.objects()) {
            if (!(o instanceof Pod) && controllers.forKind(o.getKind()).isPresent()) {
                out.add(o);
            }
        }
        return out;
    }

    /** The stored version of a workload or of a controller-made object, by its key or uid. */
    private Optional<HasMetadata> current(HasMetadata w) {
        Optional<HasMetadata> manifest = store.workload(ControllerStore.key(w));
        return manifest.isPresent() ? manifest : store.object(w.getMetadata().getUid());
    }

    /** Reconciles one workload until its controller has nothing more to do now (at most {@link #MAX_STEPS}). */
    private boolean reconcile(HasMetadata workload) {
        Optional<WorkloadController> controller = controllers.forKind(workload.getKind());
        if (controller.isEmpty()) {
            return false;
        }
        String uid = workload.getMetadata().getUid();
        boolean changed = false;
        for (int step = 0; step < MAX_STEPS; step++) {
            HasMetadata current = current(workload).orElse(null);
            if (current == null) {
                return changed;
            }
            Instant now = clock.instant();
            Reconciliation r;
            try {
                r = controller.get().reconcile(ControllerStore.copy(current),
                        new StoreView(store, manifests, statuses, now, nodeName, nodeLabels));
            } catch (RuntimeException e) {
                log.error("{} {}/{} uid {}: reconcile failed", current.getKind(), current.getMetadata().getNamespace(),
                        current.getMetadata().getName(), uid, e);
                requeueAt.put(uid, now.plus(RESYNC));
                return changed;
            }
            requeueAt.remove(uid);
            r.requeueAfter().ifPresent(d -> requeueAt.put(uid, now.plus(d)));
            boolean stepChanged = apply(current, r, now);
            changed |= stepChanged;
            if (!stepChanged) {
                return changed;
            }
        }
        log.warn("{} {}/{} uid {}: still changing after {} steps; going on at the next pass", workload.getKind(),
                workload.getMetadata().getNamespace(), workload.getMetadata().getName(), uid, MAX_STEPS);
        synchronized (lock) {
            wake = true;
        }
        return changed;
    }

    /** Applies one reconciliation; true when it changed anything stored. */
    private boolean apply(HasMetadata workload, Reconciliation r, Instant now) {
        String who = workload.getKind() + " " + workload.getMetadata().getNamespace() + "/"
                + workload.getMetadata().getName() + " uid " + workload.getMetadata().getUid();
        boolean changed = false;
        for (HasMetadata o : r.create()) {
            changed |= create(o, workload, who, now);
        }
        for (HasMetadata o : r.update()) {
            changed |= update(o, who);
        }
        for (ObjectRef ref : r.delete()) {
            changed |= delete(ref, who);
        }
        if (r.status() != null) {
            JsonNode before = ControllerStore.JSON.valueToTree(workload).get("status");
            JsonNode after = ControllerStore.JSON.valueToTree(r.status()).get("status");
            if (!Objects.equals(before, after)) {
                if (store.workload(ControllerStore.key(workload)).isPresent()) {
                    store.putWorkload(withStatusOf(workload, r.status()));
                } else {
                    store.putObject(withStatusOf(workload, r.status()));
                }
                changed = true;
            }
        }
        for (ControllerEvent e : r.events()) {
            log.info("{}: {} {}: {}", who, e.type(), e.reason(), e.message());
        }
        return changed;
    }

    private boolean create(HasMetadata requested, HasMetadata workload, String who, Instant now) {
        HasMetadata o = ControllerStore.copy(requested);
        ObjectMeta meta = o.getMetadata() == null ? new ObjectMeta() : o.getMetadata();
        o.setMetadata(meta);
        if (meta.getNamespace() == null || meta.getNamespace().isEmpty()) {
            meta.setNamespace(workload.getMetadata().getNamespace());
        }
        if (meta.getName() == null || meta.getName().isEmpty()) {
            if (meta.getGenerateName() == null || meta.getGenerateName().isEmpty()) {
                log.warn("{}: asked to create a {} without name or generateName; skipped", who, o.getKind());
                return false;
            }
            String name;
            do {
                name = ObjectNames.generate(meta.getGenerateName(), random);
            } while (exists(o.getKind(), meta.getNamespace(), name));
            meta.setName(name);
        } else if (exists(o.getKind(), meta.getNamespace(), meta.getName())) {
            log.warn("{}: Warning FailedCreate: {} {} already exists", who, o.getKind().toLowerCase(java.util.Locale.ROOT),
                    meta.getName());
            return false;
        }
        meta.setUid(UUID.randomUUID().toString());
        meta.setCreationTimestamp(PodStatusGenerator.rfc3339(now));
        if (o instanceof Pod pod) {
            PodDefaults.apply(pod);
            if (pod.getSpec().getNodeName() == null || pod.getSpec().getNodeName().isEmpty()) {
                pod.getSpec().setNodeName(nodeName); // no scheduler: every pod is this node's
            }
            Map<String, String> annotations = meta.getAnnotations() == null ? new LinkedHashMap<>()
                    : new LinkedHashMap<>(meta.getAnnotations());
            annotations.put(StaticPods.CONFIG_SEEN, PodStatusGenerator.rfc3339(now));
            meta.setAnnotations(annotations);
            PodStatus status = new PodStatus();
            status.setPhase("Pending");
            pod.setStatus(status);
        } else {
            meta.setGeneration(1L);
        }
        try {
            store.putObject(o);
        } catch (IllegalArgumentException e) {
            log.warn("{}: {}", who, e.getMessage());
            return false;
        }
        log.info("{}: created {} {}/{} uid {}", who, o.getKind(), meta.getNamespace(), meta.getName(), meta.getUid());
        return true;
    }

    private boolean exists(String kind, String namespace, String name) {
        for (HasMetadata o : store.objects()) {
            if (kind.equals(o.getKind()) && namespace.equals(o.getMetadata().getNamespace())
                    && name.equals(o.getMetadata().getName())) {
                return true;
            }
        }
        return "PersistentVolumeClaim".equals(kind)
                && manifests.get(PersistentVolumeClaim.class, namespace, name).isPresent();
    }

    private boolean update(HasMetadata requested, String who) {
        String uid = requested.getMetadata() == null ? null : requested.getMetadata().getUid();
        Optional<HasMetadata> stored = uid == null ? Optional.empty() : store.object(uid);
        if (stored.isEmpty()) {
            log.debug("{}: update of a {} that is gone (uid {}); skipped", who, requested.getKind(), uid);
            return false;
        }
        HasMetadata o = ControllerStore.copy(requested);
        ObjectMeta was = stored.get().getMetadata();
        o.getMetadata().setName(was.getName());
        o.getMetadata().setNamespace(was.getNamespace());
        o.getMetadata().setCreationTimestamp(was.getCreationTimestamp());
        o.getMetadata().setDeletionTimestamp(was.getDeletionTimestamp());
        o.getMetadata().setDeletionGracePeriodSeconds(was.getDeletionGracePeriodSeconds());
        if (o instanceof Pod pod && stored.get() instanceof Pod before) {
            pod.setStatus(before.getStatus()); // the kubelet owns a pod's status, not its controller
        }
        if (ControllerStore.JSON.valueToTree(o).equals(ControllerStore.JSON.valueToTree(stored.get()))) {
            return false;
        }
        if (!(o instanceof Pod)) {
            o.getMetadata().setGeneration(Optional.ofNullable(was.getGeneration()).orElse(1L) + 1);
        }
        store.putObject(o);
        log.info("{}: updated {} {}/{} uid {}", who, o.getKind(), was.getNamespace(), was.getName(), uid);
        return true;
    }

    private boolean delete(ObjectRef ref, String who) {
        String ns = ref.namespace() == null || ref.namespace().isEmpty() ? "default" : ref.namespace();
        for (HasMetadata o : store.objects()) {
            ObjectMeta m = o.getMetadata();
            if (ref.kind().equals(o.getKind()) && ns.equals(m.getNamespace()) && ref.name().equals(m.getName())
                    && (ref.uid() == null || ref.uid().equals(m.getUid()))) {
                log.info("{}: deleting {} {}/{} uid {}", who, o.getKind(), ns, m.getName(), m.getUid());
                return delete(o);
            }
        }
        return false;
    }

    /**
     * Deletes {@code o}: a pod is marked (deletionTimestamp = now + its grace period, as the API server sets it)
     * and no longer handed to the kubelet, which stops it; it is forgotten once the kubelet reports it gone. Other
     * objects go at once. True when anything changed.
     */
    private boolean delete(HasMetadata o) {
        if (o instanceof Pod p) {
            if (p.getMetadata().getDeletionTimestamp() != null) {
                return false;
            }
            Pod marked = ControllerStore.copy(p);
            long grace = marked.getSpec() != null && marked.getSpec().getTerminationGracePeriodSeconds() != null
                    ? marked.getSpec().getTerminationGracePeriodSeconds() : DEFAULT_GRACE_SECONDS;
            marked.getMetadata().setDeletionTimestamp(PodStatusGenerator.rfc3339(clock.instant().plusSeconds(grace)));
            marked.getMetadata().setDeletionGracePeriodSeconds(grace);
            store.putObject(marked);
            return true;
        }
        store.removeObject(o.getMetadata().getUid());
        return true;
    }

    /** Stops the thread (waiting at most 10 s); the pods keep running. Idempotent. */
    @Override
    public void close() {
        Thread t;
        synchronized (lock) {
            stopped = true;
            lock.notifyAll();
            t = thread;
        }
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(STOP_TIMEOUT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (t.isAlive()) {
                log.warn("controller manager did not stop within {}s", STOP_TIMEOUT.toSeconds());
            }
        }
    }
}
