package dev.skiff.cli;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.PodList;
import io.fabric8.kubernetes.api.model.ServiceList;
import io.fabric8.kubernetes.api.model.apps.DaemonSetList;
import io.fabric8.kubernetes.api.model.apps.DeploymentList;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetList;
import io.fabric8.kubernetes.api.model.apps.StatefulSetList;
import io.fabric8.kubernetes.api.model.batch.v1.JobList;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code skiff get KIND [NAME]}: the kubelet's workloads, Services and pods as {@code kubectl get} prints them, from
 * the read-only port's lists. Kinds and short names as kubectl's: sts, deploy, rs, ds, job, svc, po.
 */
@Command(name = "get", mixinStandardHelpOptions = true, versionProvider = SkiffVersion.class,
        description = "List workloads, Services or pods as kubectl get does: KIND is statefulsets (sts), deployments "
                + "(deploy), replicasets (rs), daemonsets (ds), jobs (job), services (svc) or pods (po).")
final class GetCommand implements Callable<Integer> {
    /** A kind: its list path, list type and item kind. */
    record Kind(String path, Class<? extends KubernetesResourceList<? extends HasMetadata>> listType, String kind,
                String plural) {
    }

    private static final Map<String, Kind> KINDS;

    static {
        Kind sts = new Kind("/statefulsets", StatefulSetList.class, "StatefulSet", "statefulsets");
        Kind deploy = new Kind("/deployments", DeploymentList.class, "Deployment", "deployments");
        Kind rs = new Kind("/replicasets", ReplicaSetList.class, "ReplicaSet", "replicasets");
        Kind ds = new Kind("/daemonsets", DaemonSetList.class, "DaemonSet", "daemonsets");
        Kind job = new Kind("/jobs", JobList.class, "Job", "jobs");
        Kind svc = new Kind("/services", ServiceList.class, "Service", "services");
        Kind po = new Kind("/pods", PodList.class, "Pod", "pods");
        KINDS = Map.ofEntries(Map.entry("statefulsets", sts), Map.entry("statefulset", sts), Map.entry("sts", sts),
                Map.entry("deployments", deploy), Map.entry("deployment", deploy), Map.entry("deploy", deploy),
                Map.entry("replicasets", rs), Map.entry("replicaset", rs), Map.entry("rs", rs),
                Map.entry("daemonsets", ds), Map.entry("daemonset", ds), Map.entry("ds", ds),
                Map.entry("jobs", job), Map.entry("job", job),
                Map.entry("services", svc), Map.entry("service", svc), Map.entry("svc", svc),
                Map.entry("pods", po), Map.entry("pod", po), Map.entry("po", po));
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    ReadOnlyEndpointOptions endpoint = new ReadOnlyEndpointOptions();

    @CommandLine.Parameters(index = "0", paramLabel = "KIND", description = "sts, deploy, rs, ds, job, svc or po")
    String kindName;

    @CommandLine.Parameters(index = "1", arity = "0..1", paramLabel = "NAME", description = "only this object")
    String name;

    @CommandLine.Option(names = {"-n", "--namespace"}, defaultValue = "default", description = "namespace (default: ${DEFAULT-VALUE})")
    String namespace;

    @CommandLine.Option(names = {"-A", "--all-namespaces"}, description = "every namespace (adds a NAMESPACE column)")
    boolean allNamespaces;

    /** The clock AGE is computed against; tests fix it. */
    Clock clock = Clock.systemUTC();

    @Override
    public Integer call() {
        Kind kind = KINDS.get(kindName.toLowerCase(Locale.ROOT));
        if (kind == null) {
            return fail("the server doesn't have a resource type \"" + kindName
                    + "\" (Skiff knows statefulsets, deployments, replicasets, daemonsets, jobs, services, pods)");
        }
        List<? extends HasMetadata> items;
        try {
            KubernetesResourceList<? extends HasMetadata> list = endpoint.client().get(kind.path(), kind.listType(), kind.plural());
            items = (list == null || list.getItems() == null ? List.<HasMetadata>of() : list.getItems()).stream()
                    .filter(o -> o.getMetadata() != null)
                    .filter(o -> allNamespaces || namespace.equals(o.getMetadata().getNamespace() == null ? "default"
                            : o.getMetadata().getNamespace()))
                    .filter(o -> name == null || name.equals(o.getMetadata().getName()))
                    .sorted(Comparator.comparing((HasMetadata o) -> String.valueOf(o.getMetadata().getNamespace()))
                            .thenComparing(o -> String.valueOf(o.getMetadata().getName())))
                    .toList();
        } catch (IllegalArgumentException | IOException e) {
            return fail(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted");
        }
        if (name != null && items.isEmpty()) {
            return fail(kind.plural() + " \"" + name + "\" not found"); // kubectl: Error from server (NotFound)
        }
        if (items.isEmpty()) {
            spec.commandLine().getErr().println(allNamespaces ? "No resources found"
                    : "No resources found in " + namespace + " namespace.");
            spec.commandLine().getErr().flush();
            return 0;
        }
        spec.commandLine().getOut().print(WorkloadTable.format(kind.kind(), items, clock.instant(), allNamespaces));
        spec.commandLine().getOut().flush();
        return 0;
    }

    private int fail(String message) {
        spec.commandLine().getErr().println("skiff get: " + message);
        spec.commandLine().getErr().flush();
        return 1;
    }
}
