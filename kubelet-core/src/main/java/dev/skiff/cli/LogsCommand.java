package dev.skiff.cli;

import dev.skiff.kubelet.logs.CriLogReader;
import dev.skiff.kubelet.logs.LogSelector;
import dev.skiff.kubelet.logs.PodLogOptions;
import dev.skiff.kubelet.server.Endpoint;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code skiff logs POD}: a container's log as {@code kubectl logs} prints it. It runs on the node as root, so it
 * reads the CRI log files under {@code --pod-logs-dir} itself (the read-only port serves no logs): the pod's uid and
 * container statuses come from {@code /pods}, the files are {@code <dir>/<ns>_<pod>_<uid>/<container>/<n>.log} and
 * their rotated siblings, written out with the kubelet's own reader.
 */
@Command(name = "logs", mixinStandardHelpOptions = true, versionProvider = SkiffVersion.class,
        description = "Print the log of a container of a pod of the Skiff kubelet on this node, as kubectl logs does.")
final class LogsCommand implements Callable<Integer> {
    private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "POD", description = "The pod's name; a static pod may also be named without its -<node> suffix.")
    String name;

    @Option(names = {"-c", "--container"}, paramLabel = "CONTAINER",
            description = "The container (app, init or sidecar); may be left out when the pod has one container.")
    String container;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NAMESPACE", defaultValue = "default",
            description = "The pod's namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = {"-f", "--follow"}, description = "Stream the log as it grows, until the container stops.")
    boolean follow;

    @Option(names = {"-p", "--previous"}, description = "The log of the container's previous, terminated instance.")
    boolean previous;

    @Option(names = "--tail", paramLabel = "N", defaultValue = "-1",
            description = "Lines from the end to show; -1 (the default) shows all.")
    long tail;

    @Option(names = "--since", paramLabel = "DURATION",
            description = "Only lines newer than this, e.g. 10s, 5m, 1h30m.")
    String since;

    @Option(names = "--timestamps", description = "Prefix each line with its RFC 3339 time.")
    boolean timestamps;

    @Option(names = "--pod-logs-dir", paramLabel = "DIR", defaultValue = "/var/log/pods",
            description = "Where the kubelet keeps pod logs (its podLogsDir; default: ${DEFAULT-VALUE}).")
    Path podLogsDir;

    @CommandLine.Mixin
    ReadOnlyEndpointOptions endpoint = new ReadOnlyEndpointOptions();

    /** Where the log goes: standard output itself, so that a closed pipe ends a follow. Tests replace it. */
    OutputStream out = new FileOutputStream(FileDescriptor.out);

    Clock clock = Clock.systemUTC();

    @Override
    public Integer call() {
        try {
            PodLogOptions options = new PodLogOptions(follow, tail >= 0 ? tail : null, null, sinceSeconds(), null,
                    timestamps, previous);
            ReadOnlyClient client = endpoint.client();
            Pod pod = PodLookup.find(client.get("/pods", PodList.class, "pods"), namespace, name)
                    .orElseThrow(() -> new IllegalArgumentException("pods \"" + name + "\" not found in namespace \"" + namespace + "\""));
            LogSelector.Selected selected = LogSelector.select(pod, containerName(pod), previous);
            Path file = logFile(pod, selected);
            new CriLogReader().read(file, CriLogReader.Options.of(options, clock.instant()),
                    () -> stillRunning(client, pod, selected), out);
            return 0;
        } catch (IllegalArgumentException | Endpoint.NotFoundException | Endpoint.BadRequestException e) {
            return fail(e.getMessage());
        } catch (IOException e) {
            return fail(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted");
        }
    }

    private String containerName(Pod pod) {
        if (container != null) {
            return container;
        }
        List<String> app = pod.getSpec().getContainers() == null ? List.of()
                : pod.getSpec().getContainers().stream().map(io.fabric8.kubernetes.api.model.Container::getName).toList();
        if (app.size() == 1) {
            return app.get(0);
        }
        throw new IllegalArgumentException("a container name must be specified for pod " + pod.getMetadata().getName()
                + ", choose one of: [" + String.join(" ", app) + "]");
    }

    /** The instance's file: the highest-numbered {@code <n>.log} for the newest instance, the one before it otherwise. */
    private Path logFile(Pod pod, LogSelector.Selected selected) throws IOException {
        Path dir = podLogsDir.resolve(namespace + "_" + pod.getMetadata().getName() + "_" + pod.getMetadata().getUid())
                .resolve(selected.container());
        List<Path> instances;
        try (Stream<Path> files = Files.list(dir)) {
            instances = files.filter(p -> p.getFileName().toString().matches("\\d{1,9}\\.log"))
                    .sorted(Comparator.comparingInt(LogsCommand::instanceNumber).reversed()).toList();
        } catch (NoSuchFileException e) {
            throw new IOException("no log directory " + dir + " (is --pod-logs-dir the kubelet's podLogsDir?)");
        }
        int index = selected.newest() ? 0 : 1;
        if (instances.size() <= index) {
            throw new IOException("no log file of " + (selected.newest() ? "" : "the previous instance of ")
                    + "container \"" + selected.container() + "\" in " + dir);
        }
        return instances.get(index);
    }

    private static int instanceNumber(Path p) {
        String n = p.getFileName().toString();
        return Integer.parseInt(n.substring(0, n.length() - ".log".length()));
    }

    /** Following ends when {@code /pods} no longer shows this instance running. */
    private static boolean stillRunning(ReadOnlyClient client, Pod pod, LogSelector.Selected selected) throws IOException {
        PodList pods;
        try {
            pods = client.get("/pods", PodList.class, "pods");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        Optional<ContainerStatus> status = pods.getItems() == null ? Optional.empty() : pods.getItems().stream()
                .filter(p -> pod.getMetadata().getUid().equals(p.getMetadata().getUid()))
                .flatMap(p -> LogSelector.status(p.getStatus(), selected.container()).stream()).findFirst();
        return status.isPresent() && status.get().getState() != null && status.get().getState().getRunning() != null
                && selected.containerId().equals(LogSelector.strip(status.get().getContainerID()));
    }

    /** kubectl's --since: a Go duration, rounded up to whole seconds. */
    private Long sinceSeconds() {
        if (since == null) {
            return null;
        }
        Matcher m = DURATION_PART.matcher(since);
        double seconds = 0;
        int at = 0;
        while (m.find() && m.start() == at) {
            double v = Double.parseDouble(m.group(1));
            seconds += v * switch (m.group(2)) {
                case "ns" -> 1e-9;
                case "us", "µs" -> 1e-6;
                case "ms" -> 1e-3;
                case "s" -> 1;
                case "m" -> 60;
                default -> 3600;
            };
            at = m.end();
        }
        if (since.isEmpty() || at != since.length() || seconds <= 0) {
            throw new IllegalArgumentException("invalid --since \"" + since + "\": want a positive duration like 10s, 5m or 1h30m");
        }
        return (long) Math.ceil(seconds);
    }

    private int fail(String message) {
        spec.commandLine().getErr().println("skiff logs: " + message);
        spec.commandLine().getErr().flush();
        return 1;
    }
}
