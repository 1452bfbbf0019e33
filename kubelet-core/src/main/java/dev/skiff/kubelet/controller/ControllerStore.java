package dev.skiff.kubelet.controller;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skiff.volume.util.DurableFiles;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.ControllerRevision;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the API server would hold for the controllers: the objects they made (pods, claims, ReplicaSets,
 * ControllerRevisions), by uid, and each workload as last accepted (uid, generation, creationTimestamp) with the
 * status its controller wrote, by {@code kind/namespace/name}. Persisted in {@code <dir>/state.json} (temp file,
 * fsync, rename, as the PV binding state) so a restart, kill -9 included, finds the same objects.
 *
 * <p>Written by the manager thread only; {@link #snapshot()} is what other threads read.
 */
public final class ControllerStore {
    static final String FILE_NAME = "state.json";
    private static final long VERSION = 1;
    private static final Logger log = LoggerFactory.getLogger(ControllerStore.class);
    static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .serializationInclusion(JsonInclude.Include.NON_NULL).build();
    /** The kinds the store can hold; an object of another kind is refused. */
    private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
            "Pod", Pod.class,
            "PersistentVolumeClaim", PersistentVolumeClaim.class,
            "ReplicaSet", ReplicaSet.class,
            "ControllerRevision", ControllerRevision.class,
            "StatefulSet", StatefulSet.class,
            "Deployment", Deployment.class,
            "DaemonSet", DaemonSet.class,
            "Job", Job.class);

    /** An immutable view for readers on other threads. */
    public record Snapshot(List<HasMetadata> workloads, List<HasMetadata> objects) {
        public static final Snapshot EMPTY = new Snapshot(List.of(), List.of());

        public Snapshot {
            workloads = List.copyOf(workloads);
            objects = List.copyOf(objects);
        }

        /** The workloads of {@code kind}, by namespace and name. */
        public List<HasMetadata> workloads(String kind) {
            return workloads.stream().filter(w -> kind.equals(w.getKind())).toList();
        }

        public <T extends HasMetadata> List<T> objects(Class<T> type) {
            return objects.stream().filter(type::isInstance).map(type::cast).toList();
        }
    }

    private final Path dir;
    private final Map<String, HasMetadata> workloads = new LinkedHashMap<>();
    private final Map<String, HasMetadata> objects = new LinkedHashMap<>();
    private volatile Snapshot snapshot = Snapshot.EMPTY;

    public ControllerStore(Path dir) {
        this.dir = Objects.requireNonNull(dir, "dir");
    }

    public Path file() {
        return dir.resolve(FILE_NAME);
    }

    /**
     * Loads what was saved (nothing when no file). A file that cannot be read is an error naming it: starting empty
     * would orphan every running pod of the controllers.
     */
    public void load() throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file());
        } catch (NoSuchFileException e) {
            return;
        }
        try {
            JsonNode root = JSON.readTree(bytes);
            if (root == null || !root.path("version").isIntegralNumber() || root.get("version").asLong() != VERSION) {
                throw new IOException("unsupported or missing \"version\"");
            }
            workloads.clear();
            objects.clear();
            for (JsonNode n : root.path("workloads")) {
                HasMetadata w = decode(n);
                workloads.put(key(w), w);
            }
            for (JsonNode n : root.path("objects")) {
                HasMetadata o = decode(n);
                objects.put(o.getMetadata().getUid(), o);
            }
        } catch (IOException | IllegalArgumentException | NullPointerException e) {
            throw new IOException("controller state " + file() + " is not valid (" + e.getMessage()
                    + "); move it away to start the controllers afresh", e);
        }
        publish();
        log.info("loaded {} workloads and {} controller-made objects from {}", workloads.size(), objects.size(), file());
    }

    /** Writes the state durably and atomically, and publishes it to readers. */
    public void save() throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", VERSION);
        ArrayNode ws = root.putArray("workloads");
        workloads.values().forEach(w -> ws.add(JSON.valueToTree(w)));
        ArrayNode os = root.putArray("objects");
        objects.values().forEach(o -> os.add(JSON.valueToTree(o)));
        Files.createDirectories(dir);
        DurableFiles.replace(file(), JSON.writeValueAsBytes(root), 0600);
        publish();
    }

    public Snapshot snapshot() {
        return snapshot;
    }

    /** {@code kind/namespace/name}, the key of a workload. */
    public static String key(HasMetadata o) {
        return o.getKind() + "/" + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
    }

    public Optional<HasMetadata> workload(String key) {
        return Optional.ofNullable(workloads.get(key));
    }

    public Collection<HasMetadata> workloads() {
        return List.copyOf(workloads.values());
    }

    public void putWorkload(HasMetadata w) {
        workloads.put(key(w), w);
    }

    public void removeWorkload(String key) {
        workloads.remove(key);
    }

    public Optional<HasMetadata> object(String uid) {
        return Optional.ofNullable(objects.get(uid));
    }

    public Collection<HasMetadata> objects() {
        return List.copyOf(objects.values());
    }

    /** Adds or replaces (by uid) an object of a kind the store holds. */
    public void putObject(HasMetadata o) {
        if (!KINDS.containsKey(o.getKind())) {
            throw new IllegalArgumentException("the controller store does not hold " + o.getKind() + " objects");
        }
        objects.put(Objects.requireNonNull(o.getMetadata().getUid(), "uid"), o);
    }

    public void removeObject(String uid) {
        objects.remove(uid);
    }

    /** A deep copy, so a controller that changes what it read changes nothing stored. */
    @SuppressWarnings("unchecked")
    static <T extends HasMetadata> T copy(T o) {
        return (T) JSON.convertValue(o, o.getClass());
    }

    private static HasMetadata decode(JsonNode n) throws IOException {
        String kind = n.path("kind").asText();
        Class<? extends HasMetadata> type = KINDS.get(kind);
        if (type == null) {
            throw new IllegalArgumentException("unknown kind \"" + kind + "\"");
        }
        HasMetadata o = JSON.treeToValue(n, type);
        if (o.getMetadata() == null || o.getMetadata().getName() == null || o.getMetadata().getUid() == null) {
            throw new IllegalArgumentException(kind + " without name or uid");
        }
        return o;
    }

    private void publish() {
        List<HasMetadata> ws = new ArrayList<>(workloads.values());
        List<HasMetadata> os = new ArrayList<>(objects.values());
        Comparator<HasMetadata> order = Comparator.comparing((HasMetadata o) -> o.getKind())
                .thenComparing(o -> String.valueOf(o.getMetadata().getNamespace()))
                .thenComparing(o -> o.getMetadata().getName());
        ws.sort(order);
        os.sort(order);
        snapshot = new Snapshot(ws.stream().map(ControllerStore::copy).toList(),
                os.stream().map(ControllerStore::copy).toList());
    }
}
