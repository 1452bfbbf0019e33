package dev.skiff.kubelet.controller;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.apps.ControllerRevision;
import io.fabric8.kubernetes.api.model.apps.ControllerRevisionBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatus;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Upstream's StatefulSet controller (pkg/controller/statefulset), one step per reconcile: pods {@code <set>-<ordinal>}
 * with stable hostname and subdomain, their claims {@code <template>-<set>-<ordinal>}, OrderedReady or Parallel
 * creation and scale-down (highest ordinal first), RollingUpdate in reverse ordinal order down to {@code partition}
 * (or OnDelete), ControllerRevisions named {@code <set>-<hash>} whose name is each pod's
 * {@code controller-revision-hash}, and upstream's status.
 */
public final class StatefulSetController implements WorkloadController {
    public static final String POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";
    public static final String POD_INDEX_LABEL = "apps.kubernetes.io/pod-index";
    public static final String REVISION_LABEL = "controller-revision-hash";

    /** Keys sorted: one template, one hash, whatever order its maps were built in. */
    private static final ObjectMapper CANONICAL = JsonMapper.builder()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .build();

    @Override
    public String kind() {
        return "StatefulSet";
    }

    @Override
    public List<String> validate(HasMetadata workload, Optional<HasMetadata> previous) {
        return StatefulSetValidation.validate((StatefulSet) workload, previous.map(StatefulSet.class::cast));
    }

    @Override
    public Reconciliation reconcile(HasMetadata workload, ControllerView view) {
        return new Step((StatefulSet) workload, view).run();
    }

    /** One reconcile of one set: collects what to change, returns at the first step that must wait. */
    private static final class Step {
        private final StatefulSet set;
        private final ControllerView view;
        private final String name;
        private final String ns;
        private final List<HasMetadata> create = new ArrayList<>();
        private final List<ObjectRef> delete = new ArrayList<>();
        private final List<ControllerEvent> events = new ArrayList<>();
        private Optional<Duration> requeue = Optional.empty();

        Step(StatefulSet set, ControllerView view) {
            this.set = set;
            this.view = view;
            this.name = set.getMetadata().getName();
            this.ns = set.getMetadata().getNamespace();
        }

        Reconciliation run() {
            List<ControllerRevision> revisions = view.owned(ControllerRevision.class, uid());
            ControllerRevision update = revisionFor(set.getSpec().getTemplate(), revisions);
            String updateRevision = update.getMetadata().getName();
            String currentRevision = set.getStatus() == null || set.getStatus().getCurrentRevision() == null
                    || revisions.stream().noneMatch(r -> r.getMetadata().getName().equals(set.getStatus().getCurrentRevision()))
                    ? updateRevision : set.getStatus().getCurrentRevision();
            PodTemplateSpec currentTemplate = revisions.stream()
                    .filter(r -> r.getMetadata().getName().equals(currentRevision)).findFirst()
                    .map(StatefulSetController::template).orElse(set.getSpec().getTemplate());

            Map<Integer, Pod> pods = new TreeMap<>();
            List<Pod> strays = new ArrayList<>();
            for (Pod p : view.owned(Pod.class, uid())) {
                Integer ordinal = ordinal(p.getMetadata().getName());
                if (ordinal == null) {
                    strays.add(p);
                } else {
                    pods.put(ordinal, p);
                }
            }
            strays.forEach(p -> deletePod(p));
            int start = StatefulSetSpecs.start(set);
            int end = start + StatefulSetSpecs.replicas(set);
            boolean parallel = StatefulSetSpecs.PARALLEL.equals(StatefulSetSpecs.podManagementPolicy(set));
            int partition = StatefulSetSpecs.partition(set);
            boolean rolling = StatefulSetSpecs.ROLLING_UPDATE.equals(StatefulSetSpecs.updateStrategy(set));

            StatefulSetStatus status = status(pods, start, end, currentRevision, updateRevision);
            boolean waiting = false;
            // create and repair, in ordinal order
            for (int ordinal = start; ordinal < end && !waiting; ordinal++) {
                Pod pod = pods.get(ordinal);
                if (pod == null) {
                    boolean current = rolling && ordinal < partition;
                    createPod(ordinal, current ? currentTemplate : set.getSpec().getTemplate(),
                            current ? currentRevision : updateRevision);
                    waiting = !parallel;
                } else if (isFailed(pod) && !isTerminating(pod)) {
                    deletePod(pod); // recreated once it is gone
                    waiting = !parallel;
                } else if (!parallel && (isTerminating(pod) || !isRunningAndReady(pod))) {
                    waiting = true; // OrderedReady: the next ordinal waits for this one
                }
            }
            // scale down, highest ordinal first; condemned pods with an ordinal below start too
            if (!waiting) {
                List<Pod> condemned = pods.entrySet().stream().filter(e -> e.getKey() >= end || e.getKey() < start)
                        .sorted(Map.Entry.<Integer, Pod>comparingByKey().reversed()).map(Map.Entry::getValue).toList();
                for (Pod p : condemned) {
                    if (!isTerminating(p)) {
                        deletePod(p);
                    }
                    if (!parallel) {
                        waiting = true;
                        break;
                    }
                }
            }
            deleteScaledDownClaims(pods, start, end);
            // roll the template out, highest ordinal first, one unhealthy pod at a time
            if (!waiting && rolling && allInRangeReady(pods, start, end)) {
                for (int ordinal = end - 1; ordinal >= Math.max(start, partition); ordinal--) {
                    Pod pod = pods.get(ordinal);
                    if (pod != null && !updateRevision.equals(label(pod, REVISION_LABEL)) && !isTerminating(pod)) {
                        deletePod(pod);
                        break;
                    }
                }
            }
            if (update.getMetadata().getUid() == null) {
                create.add(0, update); // the revision first: the pods name it
            }
            pruneHistory(revisions, currentRevision, updateRevision);
            StatefulSet withStatus = new StatefulSetBuilder(set).withStatus(status).build();
            return new Reconciliation(create, List.of(), delete, withStatus, events, requeue);
        }

        private String uid() {
            return set.getMetadata().getUid();
        }

        private Integer ordinal(String podName) {
            String prefix = name + "-";
            if (!podName.startsWith(prefix)) {
                return null;
            }
            String rest = podName.substring(prefix.length());
            if (!rest.matches("0|[1-9][0-9]{0,8}")) {
                return null;
            }
            return Integer.parseInt(rest);
        }

        /** The revision of {@code template}: an existing one with the same data, else a new one to create. */
        private ControllerRevision revisionFor(PodTemplateSpec template, List<ControllerRevision> revisions) {
            Map<String, Object> data = Map.of("spec", Map.of("template", ControllerStore.JSON.convertValue(template, Map.class)));
            String revisionName = name + "-" + hash(data);
            for (ControllerRevision r : revisions) {
                if (r.getMetadata().getName().equals(revisionName)) {
                    return r;
                }
            }
            long next = revisions.stream().map(ControllerRevision::getRevision).filter(java.util.Objects::nonNull)
                    .max(Comparator.naturalOrder()).orElse(0L) + 1;
            Map<String, String> labels = new LinkedHashMap<>(templateLabels(template));
            labels.put(REVISION_LABEL, revisionName);
            return new ControllerRevisionBuilder().withApiVersion("apps/v1").withKind("ControllerRevision")
                    .withNewMetadata().withName(revisionName).withNamespace(ns).withLabels(labels)
                    .withOwnerReferences(owner()).endMetadata().withData(data).withRevision(next).build();
        }

        /** Keeps the current and update revisions and the newest others up to revisionHistoryLimit. */
        private void pruneHistory(List<ControllerRevision> revisions, String current, String update) {
            List<ControllerRevision> old = revisions.stream()
                    .filter(r -> !r.getMetadata().getName().equals(current) && !r.getMetadata().getName().equals(update))
                    .sorted(Comparator.comparing(r -> r.getRevision() == null ? 0L : r.getRevision())).toList();
            int excess = old.size() - StatefulSetSpecs.revisionHistoryLimit(set);
            for (int i = 0; i < excess; i++) {
                delete.add(ObjectRef.of(old.get(i)));
            }
        }

        private void createPod(int ordinal, PodTemplateSpec template, String revision) {
            String podName = name + "-" + ordinal;
            Pod pod = new Pod();
            pod.setApiVersion("v1");
            pod.setKind("Pod");
            ObjectMeta meta = template.getMetadata() == null ? new ObjectMeta()
                    : ControllerStore.JSON.convertValue(template.getMetadata(), ObjectMeta.class);
            meta.setName(podName);
            meta.setNamespace(ns);
            Map<String, String> labels = new LinkedHashMap<>(meta.getLabels() == null ? Map.of() : meta.getLabels());
            labels.put(POD_NAME_LABEL, podName);
            labels.put(POD_INDEX_LABEL, Integer.toString(ordinal));
            labels.put(REVISION_LABEL, revision);
            meta.setLabels(labels);
            meta.setOwnerReferences(List.of(owner()));
            pod.setMetadata(meta);
            pod.setSpec(ControllerStore.copy(new io.fabric8.kubernetes.api.model.PodBuilder()
                    .withSpec(template.getSpec()).build()).getSpec());
            pod.getSpec().setHostname(podName);
            String service = set.getSpec().getServiceName();
            if (service != null && !service.isEmpty()) {
                pod.getSpec().setSubdomain(service);
            }
            List<Volume> volumes = new ArrayList<>(pod.getSpec().getVolumes() == null ? List.of() : pod.getSpec().getVolumes());
            for (PersistentVolumeClaim tpl : claimTemplates()) {
                String claim = claimName(tpl, ordinal);
                volumes.removeIf(v -> v.getName().equals(tpl.getMetadata().getName()));
                volumes.add(new VolumeBuilder().withName(tpl.getMetadata().getName()).withNewPersistentVolumeClaim()
                        .withClaimName(claim).endPersistentVolumeClaim().build());
                if (view.get(PersistentVolumeClaim.class, ns, claim).isEmpty()) {
                    create.add(claim(tpl, claim));
                    events.add(ControllerEvent.normal("SuccessfulCreate", "create Claim " + claim + " Pod " + podName
                            + " in StatefulSet " + name + " success"));
                }
            }
            pod.getSpec().setVolumes(volumes);
            create.add(pod);
            events.add(ControllerEvent.normal("SuccessfulCreate", "create Pod " + podName + " in StatefulSet " + name
                    + " successful"));
        }

        private PersistentVolumeClaim claim(PersistentVolumeClaim tpl, String claimName) {
            Map<String, String> labels = new LinkedHashMap<>(tpl.getMetadata().getLabels() == null ? Map.of()
                    : tpl.getMetadata().getLabels());
            if (set.getSpec().getSelector().getMatchLabels() != null) {
                labels.putAll(set.getSpec().getSelector().getMatchLabels());
            }
            PersistentVolumeClaimBuilder b = new PersistentVolumeClaimBuilder().withApiVersion("v1")
                    .withKind("PersistentVolumeClaim").withNewMetadata().withName(claimName).withNamespace(ns)
                    .withLabels(labels).withAnnotations(tpl.getMetadata().getAnnotations()).endMetadata()
                    .withSpec(ControllerStore.copy(new PersistentVolumeClaimBuilder().withSpec(tpl.getSpec()).build()).getSpec());
            if (StatefulSetSpecs.DELETE.equals(StatefulSetSpecs.whenDeleted(set))) {
                b.editMetadata().withOwnerReferences(owner()).endMetadata(); // goes with the set
            }
            return b.build();
        }

        /** whenScaled: Delete: the claims of ordinals scaled away go once their pod is gone. */
        private void deleteScaledDownClaims(Map<Integer, Pod> pods, int start, int end) {
            if (!StatefulSetSpecs.DELETE.equals(StatefulSetSpecs.whenScaled(set))) {
                return;
            }
            for (PersistentVolumeClaim tpl : claimTemplates()) {
                String prefix = tpl.getMetadata().getName() + "-" + name + "-";
                for (PersistentVolumeClaim c : view.owned(PersistentVolumeClaim.class, uid())) {
                    deleteIfScaled(c, prefix, pods, start, end);
                }
                for (int ordinal = end; ordinal < end + 1024; ordinal++) {
                    Optional<PersistentVolumeClaim> c = view.get(PersistentVolumeClaim.class, ns, prefix + ordinal);
                    if (c.isEmpty() || c.get().getMetadata().getUid() == null) {
                        break;
                    }
                    deleteIfScaled(c.get(), prefix, pods, start, end);
                }
            }
        }

        private void deleteIfScaled(PersistentVolumeClaim c, String prefix, Map<Integer, Pod> pods, int start, int end) {
            String n = c.getMetadata().getName();
            if (!n.startsWith(prefix) || !n.substring(prefix.length()).matches("0|[1-9][0-9]{0,8}")) {
                return;
            }
            int ordinal = Integer.parseInt(n.substring(prefix.length()));
            if ((ordinal >= end || ordinal < start) && !pods.containsKey(ordinal)
                    && delete.stream().noneMatch(d -> d.name().equals(n))) {
                delete.add(ObjectRef.of(c));
            }
        }

        private List<PersistentVolumeClaim> claimTemplates() {
            return set.getSpec().getVolumeClaimTemplates() == null ? List.of() : set.getSpec().getVolumeClaimTemplates();
        }

        private String claimName(PersistentVolumeClaim tpl, int ordinal) {
            return tpl.getMetadata().getName() + "-" + name + "-" + ordinal;
        }

        private void deletePod(Pod p) {
            delete.add(ObjectRef.of(p));
            events.add(ControllerEvent.normal("SuccessfulDelete", "delete Pod " + p.getMetadata().getName()
                    + " in StatefulSet " + name + " successful"));
        }

        private OwnerReference owner() {
            return new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("StatefulSet").withName(name)
                    .withUid(uid()).withController(true).withBlockOwnerDeletion(true).build();
        }

        private boolean allInRangeReady(Map<Integer, Pod> pods, int start, int end) {
            for (int ordinal = start; ordinal < end; ordinal++) {
                Pod p = pods.get(ordinal);
                if (p == null || isTerminating(p) || !isRunningAndReady(p)) {
                    return false;
                }
            }
            return true;
        }

        /** Upstream's status: counts of the pods that exist, the revisions, and a finished rollout recorded. */
        private StatefulSetStatus status(Map<Integer, Pod> pods, int start, int end, String current, String update) {
            int replicas = 0;
            int ready = 0;
            int available = 0;
            int currentReplicas = 0;
            int updated = 0;
            Instant now = view.now();
            int minReady = StatefulSetSpecs.minReadySeconds(set);
            for (Pod p : pods.values()) {
                if (isTerminating(p)) {
                    continue;
                }
                replicas++;
                if (isRunningAndReady(p)) {
                    ready++;
                    Instant since = readySince(p).orElse(now);
                    Instant availableAt = since.plusSeconds(minReady);
                    if (!availableAt.isAfter(now)) {
                        available++;
                    } else {
                        Duration wait = Duration.between(now, availableAt);
                        requeue = Optional.of(requeue.filter(r -> r.compareTo(wait) < 0).orElse(wait));
                    }
                }
                String revision = label(p, REVISION_LABEL);
                if (current.equals(revision)) {
                    currentReplicas++;
                }
                if (update.equals(revision)) {
                    updated++;
                }
            }
            String currentRevision = current;
            int wanted = end - start;
            if (updated == wanted && ready == wanted && replicas == wanted) {
                currentRevision = update; // upstream's completeRollingUpdate
                currentReplicas = updated;
            }
            return new StatefulSetStatusBuilder().withObservedGeneration(set.getMetadata().getGeneration())
                    .withReplicas(replicas).withReadyReplicas(ready).withAvailableReplicas(available)
                    .withCurrentReplicas(currentReplicas).withUpdatedReplicas(updated)
                    .withCurrentRevision(currentRevision).withUpdateRevision(update).withCollisionCount(0).build();
        }
    }

    static PodTemplateSpec template(ControllerRevision r) {
        Object data = r.getData();
        Object spec = data instanceof Map<?, ?> m ? m.get("spec") : null;
        Object template = spec instanceof Map<?, ?> s ? s.get("template") : null;
        return template == null ? null : ControllerStore.JSON.convertValue(template, PodTemplateSpec.class);
    }

    private static Map<String, String> templateLabels(PodTemplateSpec t) {
        return t.getMetadata() == null || t.getMetadata().getLabels() == null ? Map.of() : t.getMetadata().getLabels();
    }

    static String label(Pod p, String key) {
        return p.getMetadata().getLabels() == null ? null : p.getMetadata().getLabels().get(key);
    }

    static boolean isTerminating(Pod p) {
        return p.getMetadata().getDeletionTimestamp() != null;
    }

    static boolean isFailed(Pod p) {
        return p.getStatus() != null && ("Failed".equals(p.getStatus().getPhase()) || "Succeeded".equals(p.getStatus().getPhase()));
    }

    static boolean isRunningAndReady(Pod p) {
        return p.getStatus() != null && "Running".equals(p.getStatus().getPhase()) && p.getStatus().getConditions() != null
                && p.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private static Optional<Instant> readySince(Pod p) {
        return p.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType()))
                .map(c -> c.getLastTransitionTime()).filter(t -> t != null && !t.isEmpty()).findFirst()
                .map(t -> { try { return Instant.parse(t); } catch (RuntimeException e) { return null; } });
    }

    /** Upstream's revision hash: FNV-32a of the revision data, the decimal rendered with SafeEncodeString. */
    static String hash(Object data) {
        byte[] bytes;
        try {
            bytes = CANONICAL.writeValueAsBytes(data);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a revision's data is JSON", e);
        }
        int h = 0x811c9dc5;
        for (byte b : bytes) {
            h ^= (b & 0xff);
            h *= 0x01000193;
        }
        String decimal = Long.toString(Integer.toUnsignedLong(h));
        StringBuilder out = new StringBuilder();
        for (char c : decimal.toCharArray()) {
            out.append(ObjectNames.ALPHABET.charAt(c % ObjectNames.ALPHABET.length()));
        }
        return out.toString();
    }
}
