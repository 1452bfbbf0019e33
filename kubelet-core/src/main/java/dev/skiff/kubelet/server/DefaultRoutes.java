package dev.skiff.kubelet.server;

import io.fabric8.kubernetes.api.model.ListMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/** The routes every kubelet server has: {@code /healthz…}, {@code /pods} and Skiff's {@code /manifests/errors}. */
public final class DefaultRoutes {
    private DefaultRoutes() {
    }

    /**
     * @param pods           the pods with their statuses: {@code /pods} is a v1 PodList of them
     * @param manifestErrors {@code /manifests/errors}: {@code [{"file":…,"line":…,"reason":…}]}
     */
    public static List<Route> readOnly(Healthz healthz, Supplier<List<Pod>> pods, Supplier<List<ManifestError>> manifestErrors) {
        List<Route> out = new ArrayList<>(healthz.routes());
        out.add(Route.json("/pods", Route.Kind.DEFAULT,
                Endpoint.of(() -> new PodList("v1", new ArrayList<>(pods.get()), "PodList", new ListMeta()))));
        out.add(Route.json("/manifests/errors", Route.Kind.DEFAULT, Endpoint.of(manifestErrors)));
        return out;
    }

    /** Only the DEFAULT routes: what the read-only port serves. */
    public static List<Route> defaultsOnly(List<Route> routes) {
        return routes.stream().filter(r -> r.kind() == Route.Kind.DEFAULT).toList();
    }
}
