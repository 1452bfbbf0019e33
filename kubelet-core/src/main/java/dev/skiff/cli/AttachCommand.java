package dev.skiff.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code skiff attach [-i] [-t] POD [-c CONTAINER]}: the running container's own stdio through the kubelet's
 * {@code /attach}, as {@code kubectl attach}. Stdin reaches the container only when it was created with
 * {@code stdin: true}, a terminal only with {@code tty: true}.
 */
@Command(name = "attach", mixinStandardHelpOptions = true, versionProvider = SkiffVersion.class,
        description = "Attach to a running container of a pod of the Skiff kubelet on this node, as kubectl attach does.")
final class AttachCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "POD", description = "The pod's name; a static pod may also be named without its -<node> suffix.")
    String pod;

    @Option(names = {"-c", "--container"}, paramLabel = "CONTAINER",
            description = "The container; by default the pod's kubectl.kubernetes.io/default-container or its first one.")
    String container;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NAMESPACE", defaultValue = "default",
            description = "The pod's namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = {"-i", "--stdin"}, description = "Pass stdin to the container.")
    boolean stdin;

    @Option(names = {"-t", "--tty"}, description = "Stdin is a terminal (the container must have tty: true).")
    boolean tty;

    @Option(names = {"-q", "--quiet"}, description = "Only the container's output: no notes from skiff.")
    boolean quiet;

    @CommandLine.Mixin
    SecurePortOptions endpoint = new SecurePortOptions();

    @Override
    public Integer call() {
        return StreamingCommands.run(spec, () -> {
            if (tty && stdin && !quiet) {
                spec.commandLine().getErr().println("If you don't see a command prompt, try pressing enter.");
                spec.commandLine().getErr().flush();
            }
            return new RemoteCommand(spec.commandLine().getErr()).run(endpoint.connect(),
                    new RemoteCommand.Spec("attach", namespace, pod, Optional.ofNullable(container), stdin, tty, quiet, List.of()));
        });
    }
}
