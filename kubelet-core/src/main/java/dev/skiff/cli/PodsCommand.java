package dev.skiff.cli;

import dev.skiff.kubelet.server.PodTable;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code skiff pods}: the running kubelet's pods as {@code kubectl get pods} prints them, read from its
 * read-only endpoint ({@code GET /pods}, a v1 PodList).
 */
@Command(name = "pods", mixinStandardHelpOptions = true, versionProvider = SkiffVersion.class,
        description = "List the pods of the Skiff kubelet running on this node (NAME READY STATUS RESTARTS AGE).")
final class PodsCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    ReadOnlyEndpointOptions endpoint = new ReadOnlyEndpointOptions();

    /** The clock AGE is computed against; tests fix it. */
    Clock clock = Clock.systemUTC();

    @Override
    public Integer call() {
        List<Pod> pods;
        try {
            PodList list = endpoint.client().get("/pods", PodList.class, "pods");
            pods = sorted(list);
        } catch (IllegalArgumentException | IOException e) {
            return fail(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted");
        }
        String table = PodTable.format(pods, clock.instant());
        if (pods.isEmpty()) {
            spec.commandLine().getErr().print(table); // kubectl says "No resources found" on stderr
            spec.commandLine().getErr().flush();
        } else {
            spec.commandLine().getOut().print(table);
            spec.commandLine().getOut().flush();
        }
        return 0;
    }

    /** kubectl lists in the API server's order: namespace, then name. */
    private static List<Pod> sorted(PodList list) {
        if (list == null || list.getItems() == null) {
            return List.of();
        }
        return list.getItems().stream()
                .filter(p -> p.getMetadata() != null && p.getSpec() != null)
                .sorted(Comparator.comparing((Pod p) -> String.valueOf(p.getMetadata().getNamespace()))
                        .thenComparing(p -> String.valueOf(p.getMetadata().getName())))
                .toList();
    }

    private int fail(String message) {
        spec.commandLine().getErr().println("skiff pods: " + message);
        spec.commandLine().getErr().flush();
        return 1;
    }
}
