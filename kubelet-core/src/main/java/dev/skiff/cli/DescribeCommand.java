package dev.skiff.cli;

import dev.skiff.cli.describe.PodDescriber;
import io.fabric8.kubernetes.api.model.EventList;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code skiff describe pod NAME}: one pod of the running kubelet with its events, as {@code kubectl describe pod}
 * prints them, from the read-only endpoint ({@code /pods}, {@code /events?pod=NS/NAME}).
 */
@Command(name = "describe", mixinStandardHelpOptions = true, versionProvider = SkiffVersion.class,
        description = "Show a pod of the Skiff kubelet on this node with its events, as kubectl describe pod does.")
final class DescribeCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "pod", description = "The kind to describe: pod (or po, pods).")
    String kind;

    @Parameters(index = "1", paramLabel = "NAME",
            description = "The pod's name; a static pod may also be named without its -<node> suffix.")
    String name;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NAMESPACE", defaultValue = "default",
            description = "The pod's namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @CommandLine.Mixin
    ReadOnlyEndpointOptions endpoint = new ReadOnlyEndpointOptions();

    /** The clock ages are computed against and the zone times are shown in; tests fix them. */
    Clock clock = Clock.systemDefaultZone();

    @Override
    public Integer call() {
        if (!List.of("pod", "pods", "po").contains(kind)) {
            return fail("the server doesn't have a resource type \"" + kind + "\" (skiff describes pods only)");
        }
        try {
            ReadOnlyClient client = endpoint.client();
            PodList pods = client.get("/pods", PodList.class, "pods");
            Optional<Pod> pod = PodLookup.find(pods, namespace, name);
            if (pod.isEmpty()) {
                return fail("pods \"" + name + "\" not found in namespace \"" + namespace + "\"");
            }
            String key = namespace + "/" + pod.get().getMetadata().getName();
            EventList events = client.get("/events?pod=" + URLEncoder.encode(key, StandardCharsets.UTF_8),
                    EventList.class, "events");
            ZoneId zone = clock.getZone();
            spec.commandLine().getOut().print(PodDescriber.describe(pod.get(),
                    events.getItems() == null ? List.of() : events.getItems(), clock.instant(), zone));
            spec.commandLine().getOut().flush();
            return 0;
        } catch (IllegalArgumentException | IOException e) {
            return fail(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted");
        }
    }

    private int fail(String message) {
        spec.commandLine().getErr().println("skiff describe: " + message);
        spec.commandLine().getErr().flush();
        return 1;
    }
}
