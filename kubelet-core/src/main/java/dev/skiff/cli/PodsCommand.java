package dev.skiff.cli;

import dev.skiff.kubelet.server.PodTable;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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

    @Option(names = "--read-only-port", paramLabel = "PORT", defaultValue = "10255",
            description = "The kubelet's read-only port on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
    int readOnlyPort;

    @Option(names = "--server", paramLabel = "URL",
            description = "The kubelet's read-only endpoint; overrides --read-only-port (default: http://127.0.0.1:<read-only-port>).")
    String server;

    /** The clock AGE is computed against; tests fix it. */
    Clock clock = Clock.systemUTC();

    @Override
    public Integer call() {
        List<Pod> pods;
        try {
            PodList list = ReadOnlyClient.of(server, readOnlyPort).get("/pods", PodList.class, "pods");
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
