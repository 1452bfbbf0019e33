package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The read-only port's workload lists ({@code /statefulsets}, {@code /deployments}, {@code /replicasets},
 * {@code /daemonsets}, {@code /jobs}, {@code /services}): each as the API server lists it, e.g.
 * {@code {"kind":"StatefulSetList","apiVersion":"apps/v1","metadata":{},"items":[…]}}, items with their status.
 */
public final class WorkloadLists {
    /** Path, list kind, apiVersion and item kind of each list. */
    public record ListKind(String path, String apiVersion, String kind) {
        public String listKind() {
            return kind + "List";
        }
    }

    public static final List<ListKind> KINDS = List.of(
            new ListKind("/statefulsets", "apps/v1", "StatefulSet"),
            new ListKind("/deployments", "apps/v1", "Deployment"),
            new ListKind("/replicasets", "apps/v1", "ReplicaSet"),
            new ListKind("/daemonsets", "apps/v1", "DaemonSet"),
            new ListKind("/jobs", "batch/v1", "Job"),
            new ListKind("/services", "v1", "Service"));

    private WorkloadLists() {}

    /** The list for {@code kind}: workloads and controller-made objects from the snapshot, Services from the files. */
    public static Map<String, Object> list(ListKind kind, ControllerStore.Snapshot snapshot,
                                           Supplier<List<Service>> services) {
        List<HasMetadata> items = new ArrayList<>();
        if (kind.kind().equals("Service")) {
            items.addAll(services.get());
        } else {
            items.addAll(snapshot.workloads(kind.kind()));
            snapshot.objects().stream().filter(o -> kind.kind().equals(o.getKind())).forEach(items::add);
        }
        items.sort(Comparator.comparing((HasMetadata o) -> String.valueOf(o.getMetadata().getNamespace()))
                .thenComparing(o -> o.getMetadata().getName()));
        Map<String, Object> list = new LinkedHashMap<>();
        list.put("kind", kind.listKind());
        list.put("apiVersion", kind.apiVersion());
        list.put("metadata", Map.of());
        list.put("items", items);
        return list;
    }
}
