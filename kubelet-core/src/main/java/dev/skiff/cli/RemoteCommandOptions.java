package dev.skiff.cli;

import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Optional;

/** The options {@code skiff exec} and {@code skiff attach} share, as kubectl's. */
final class RemoteCommandOptions {
    @Option(names = {"-c", "--container"}, paramLabel = "CONTAINER",
            description = "The container; by default the pod's kubectl.kubernetes.io/default-container or its first one.")
    String container;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NAMESPACE", defaultValue = "default",
            description = "The pod's namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = {"-i", "--stdin"}, description = "Pass stdin to the container.")
    boolean stdin;

    @Option(names = {"-t", "--tty"}, description = "Stdin is a terminal (with -i and a terminal on stdin).")
    boolean tty;

    @Option(names = {"-q", "--quiet"}, description = "Only the remote output: no notes from skiff.")
    boolean quiet;

    @CommandLine.Mixin
    SecurePortOptions endpoint = new SecurePortOptions();

    /** Runs {@code verb} ({@code exec} or {@code attach}) on {@code pod} as these options say. */
    int run(CommandLine.Model.CommandSpec spec, String verb, String pod, List<String> command) {
        return StreamingCommands.run(spec, () -> new RemoteCommand(spec.commandLine().getErr()).run(endpoint.connect(),
                new RemoteCommand.Spec(verb, namespace, pod, Optional.ofNullable(container), stdin, tty, quiet, command)));
    }
}
