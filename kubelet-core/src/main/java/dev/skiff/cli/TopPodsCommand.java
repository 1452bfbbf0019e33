package dev.skiff.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code skiff top pods}: CPU (millicores) and memory (working set, Mi) per pod as {@code kubectl top pods} prints
 * them, from the kubelet's Summary API ({@code /stats/summary?only_cpu_and_memory=true} on the read-only port).
 * CPU is the summary's usageNanoCores, a rate over the kubelet's previous read: when a pod has none yet (the
 * first read of its cgroups), the summary is read again after {@link #SECOND_SAMPLE_DELAY}.
 */
@Command(name = "pods", mixinStandardHelpOptions = true, versionProvider = SkiffVersion.class,
        description = "Display CPU (cores) and memory (bytes) of the pods of the Skiff kubelet on this node.")
final class TopPodsCommand implements Callable<Integer> {
    static final Duration SECOND_SAMPLE_DELAY = Duration.ofMillis(1500);
    static final String PATH = "/stats/summary?only_cpu_and_memory=true";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    ReadOnlyEndpointOptions endpoint = new ReadOnlyEndpointOptions();

    @Option(names = "--sort-by", paramLabel = "cpu|memory", description = "Sort by cpu or memory (default: namespace and name).")
    String sortBy;

    @Option(names = "--no-headers", description = "Don't print headers.")
    boolean noHeaders;

    /** Tests shorten the wait for the second sample. */
    Duration secondSampleDelay = SECOND_SAMPLE_DELAY;

    record PodUsage(String namespace, String name, long nanoCores, long workingSetBytes) {
        String cpu() {
            return (nanoCores + 999_999) / 1_000_000 + "m"; // Quantity.MilliValue rounds up
        }

        String memory() {
            return workingSetBytes / (1024 * 1024) + "Mi";
        }
    }

    @Override
    public Integer call() {
        if (sortBy != null && !sortBy.equals("cpu") && !sortBy.equals("memory")) {
            return fail("--sort-by accepts only cpu or memory, not '" + sortBy + "'");
        }
        List<PodUsage> usage;
        List<String> missing = new ArrayList<>();
        try {
            JsonNode summary = endpoint.client().get(PATH, JsonNode.class, "the stats summary");
            usage = parse(summary, missing);
            if (!missing.isEmpty()) {
                Thread.sleep(secondSampleDelay.toMillis());
                missing.clear();
                usage = parse(endpoint.client().get(PATH, JsonNode.class, "the stats summary"), missing);
            }
        } catch (IllegalArgumentException | IOException e) {
            return fail(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted");
        }
        for (String pod : missing) {
            spec.commandLine().getErr().println("skiff top pods: no metrics for pod " + pod + " yet");
        }
        if (usage.isEmpty()) {
            spec.commandLine().getErr().println("No resources found");
            spec.commandLine().getErr().flush();
            return 0;
        }
        spec.commandLine().getOut().print(format(sorted(usage), !noHeaders));
        spec.commandLine().getOut().flush();
        spec.commandLine().getErr().flush();
        return 0;
    }

    /** Pods with both a CPU rate and a working set; the others' "namespace/name" go to {@code missing}. */
    static List<PodUsage> parse(JsonNode summary, List<String> missing) {
        List<PodUsage> out = new ArrayList<>();
        for (JsonNode pod : summary.path("pods")) {
            String ns = pod.path("podRef").path("namespace").asText();
            String name = pod.path("podRef").path("name").asText();
            JsonNode cpu = pod.path("cpu").path("usageNanoCores");
            JsonNode mem = pod.path("memory").path("workingSetBytes");
            if (!cpu.canConvertToLong() || !mem.canConvertToLong()) {
                missing.add(ns + "/" + name);
                continue;
            }
            out.add(new PodUsage(ns, name, cpu.asLong(), mem.asLong()));
        }
        return out;
    }

    private List<PodUsage> sorted(List<PodUsage> pods) {
        Comparator<PodUsage> order = Comparator.comparing(PodUsage::namespace).thenComparing(PodUsage::name);
        if ("cpu".equals(sortBy)) {
            order = Comparator.comparingLong(PodUsage::nanoCores).reversed().thenComparing(order);
        } else if ("memory".equals(sortBy)) {
            order = Comparator.comparingLong(PodUsage::workingSetBytes).reversed().thenComparing(order);
        }
        return pods.stream().sorted(order).toList();
    }

    /** kubectl's layout: NAME CPU(cores) MEMORY(bytes), cells padded by 3 spaces as its tabwriter does. */
    static String format(List<PodUsage> pods, boolean headers) {
        List<String[]> rows = new ArrayList<>();
        if (headers) {
            rows.add(new String[]{"NAME", "CPU(cores)", "MEMORY(bytes)"});
        }
        for (PodUsage p : pods) {
            rows.add(new String[]{p.name(), p.cpu(), p.memory()});
        }
        int[] width = new int[3];
        for (String[] r : rows) {
            for (int i = 0; i < 3; i++) {
                width[i] = Math.max(width[i], r[i].length() + 3);
            }
        }
        StringBuilder b = new StringBuilder();
        for (String[] r : rows) {
            for (int i = 0; i < 3; i++) {
                b.append(r[i]).append(" ".repeat(width[i] - r[i].length()));
            }
            b.append('\n');
        }
        return b.toString();
    }

    private int fail(String message) {
        spec.commandLine().getErr().println("skiff top pods: " + message);
        spec.commandLine().getErr().flush();
        return 1;
    }
}
