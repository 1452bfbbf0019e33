package dev.skiff.kubelet.source;

import dev.skiff.volume.VolumeObjects;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The non-Pod objects (ConfigMap, Secret, PersistentVolume, PersistentVolumeClaim, StorageClass, Service) the
 * sources define, for the volume plugins and the cluster DNS. Each source's set is replaced whole by its latest snapshot. Read-mostly:
 * readers see an immutable map published through a volatile field and never block.
 *
 * <p>Wire it before PodConfig ({@code objectStore.andThen(podConfig)}) so a pod's ConfigMap is here before the
 * sync loop sees the pod. Returned objects are shared: treat them as read-only.
 */
public final class ObjectStore implements Consumer<SourceSnapshot>, VolumeObjects {
    private static final Logger LOG = LoggerFactory.getLogger(ObjectStore.class);

    private final Map<String, Map<ObjectKey, HasMetadata>> bySource = new LinkedHashMap<>();
    private final Runnable onChange;
    private volatile Map<ObjectKey, HasMetadata> merged = Map.of();

    public ObjectStore() {
        this(() -> { });
    }

    /** @param onChange told after a snapshot changed any object (e.g. so volumes built from them are refreshed) */
    public ObjectStore(Runnable onChange) {
        this.onChange = onChange;
    }

    @Override
    public void accept(SourceSnapshot snapshot) {
        if (replace(snapshot.source(), snapshot.objects())) {
            onChange.run();
        }
    }

    /**
     * Replaces everything {@code source} defined by {@code objects}. The first definition of a key wins. Returns true
     * when any object changed.
     */
    public synchronized boolean replace(String source, Collection<? extends HasMetadata> objects) {
        Objects.requireNonNull(source, "source");
        Map<ObjectKey, HasMetadata> mine = new LinkedHashMap<>();
        for (HasMetadata o : objects) {
            ObjectKey key = ObjectKey.of(o);
            if (mine.putIfAbsent(key, o) != null) {
                LOG.warn("source {} defines {} twice; keeping the first", source, key);
            }
        }
        Map<ObjectKey, HasMetadata> previous = bySource.put(source, mine);
        Map<ObjectKey, HasMetadata> next = new HashMap<>();
        for (Map.Entry<String, Map<ObjectKey, HasMetadata>> e : bySource.entrySet()) {
            for (Map.Entry<ObjectKey, HasMetadata> o : e.getValue().entrySet()) {
                if (next.putIfAbsent(o.getKey(), o.getValue()) != null) {
                    LOG.warn("{} is defined by more than one source; keeping the one from the first source", o.getKey());
                }
            }
        }
        Map<ObjectKey, HasMetadata> before = merged;
        merged = Map.copyOf(next);
        if (previous == null || !previous.keySet().equals(mine.keySet())) {
            LOG.debug("source {} now defines {} objects", source, mine.size());
        }
        return !before.equals(merged);
    }

    /** The object of that kind (e.g. "ConfigMap"), namespace (ignored for cluster-scoped kinds) and name. */
    public Optional<HasMetadata> get(String kind, String namespace, String name) {
        return Optional.ofNullable(merged.get(new ObjectKey(kind, namespace, name)));
    }

    /** Typed lookup; the kind is the simple name of {@code type}. */
    public <T extends HasMetadata> Optional<T> get(Class<T> type, String namespace, String name) {
        return get(type.getSimpleName(), namespace, name).filter(type::isInstance).map(type::cast);
    }

    @Override
    public Optional<ConfigMap> configMap(String namespace, String name) {
        return get(ConfigMap.class, namespace, name);
    }

    @Override
    public Optional<Secret> secret(String namespace, String name) {
        return get(Secret.class, namespace, name);
    }

    public Optional<PersistentVolumeClaim> persistentVolumeClaim(String namespace, String name) {
        return get(PersistentVolumeClaim.class, namespace, name);
    }

    public Optional<PersistentVolume> persistentVolume(String name) {
        return get(PersistentVolume.class, "", name);
    }

    public Optional<StorageClass> storageClass(String name) {
        return get(StorageClass.class, "", name);
    }

    /** Every Service, in no particular order. */
    public List<Service> services() {
        return list("Service").stream().filter(Service.class::isInstance).map(Service.class::cast).toList();
    }

    /** Every object of {@code kind}, in no particular order. */
    public List<HasMetadata> list(String kind) {
        return merged.entrySet().stream().filter(e -> e.getKey().kind().equals(kind)).map(Map.Entry::getValue)
                .toList();
    }

    public int size() {
        return merged.size();
    }
}
