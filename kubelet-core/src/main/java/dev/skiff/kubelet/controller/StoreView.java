package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The {@link ControllerView} the manager hands a controller: the store's objects (copies, pods with the status the
 * kubelet last generated) and the manifest directory's objects, at one instant.
 */
final class StoreView implements ControllerView {
    private final ControllerStore store;
    private final ManifestObjects manifests;
    private final Function<String, Optional<PodStatus>> statuses;
    private final Instant now;
    private final String nodeName;
    private final Map<String, String> nodeLabels;

    StoreView(ControllerStore store, ManifestObjects manifests, Function<String, Optional<PodStatus>> statuses,
              Instant now, String nodeName, Map<String, String> nodeLabels) {
        this.store = store;
        this.manifests = manifests;
        this.statuses = statuses;
        this.now = now;
        this.nodeName = nodeName;
        this.nodeLabels = nodeLabels;
    }

    @Override
    public Instant now() {
        return now;
    }

    @Override
    public String nodeName() {
        return nodeName;
    }

    @Override
    public Map<String, String> nodeLabels() {
        return nodeLabels;
    }

    @Override
    public <T extends HasMetadata> List<T> owned(Class<T> type, String ownerUid) {
        return store.objects().stream().filter(type::isInstance).filter(o -> ownerUid.equals(controllerUid(o)))
                .map(o -> type.cast(withStatus(o)))
                .sorted(Comparator.comparing(o -> o.getMetadata().getName())).toList();
    }

    @Override
    public <T extends HasMetadata> Optional<T> get(Class<T> type, String namespace, String name) {
        String ns = namespace == null || namespace.isEmpty() ? "default" : namespace;
        Optional<T> made = store.objects().stream().filter(type::isInstance)
                .filter(o -> name.equals(o.getMetadata().getName()) && ns.equals(o.getMetadata().getNamespace()))
                .findFirst().map(o -> type.cast(withStatus(o)));
        return made.isPresent() ? made : manifests.get(type, ns, name).map(ControllerStore::copy);
    }

    @Override
    public Optional<PodStatus> podStatus(String podUid) {
        return statuses.apply(podUid);
    }

    private HasMetadata withStatus(HasMetadata o) {
        HasMetadata c = ControllerStore.copy(o);
        if (c instanceof Pod p) {
            statuses.apply(p.getMetadata().getUid()).ifPresent(p::setStatus);
        }
        return c;
    }

    /** The uid of the object's controller ownerReference, or null. */
    static String controllerUid(HasMetadata o) {
        List<OwnerReference> refs = o.getMetadata().getOwnerReferences();
        if (refs == null) {
            return null;
        }
        return refs.stream().filter(r -> Boolean.TRUE.equals(r.getController())).map(OwnerReference::getUid)
                .findFirst().orElse(null);
    }
}
