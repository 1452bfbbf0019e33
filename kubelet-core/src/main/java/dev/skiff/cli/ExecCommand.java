package dev.skiff.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code skiff exec [-i] [-t] POD [-c CONTAINER] -- COMMAND…}: a command in a running container through the kubelet's
 * {@code /exec}, as {@code kubectl exec} runs it (the command's exit code is skiff's).
 */
@Command(name = "exec", mixinStandardHelpOptions = true, versionProvider = SkiffVersion.class,
        description = "Run a command in a container of a pod of the Skiff kubelet on this node, as kubectl exec does.")
final class ExecCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "POD", description = "The pod's name; a static pod may also be named without its -<node> suffix.")
    String pod;

    @Parameters(index = "1..*", paramLabel = "COMMAND", arity = "1..*", description = "The command and its arguments (after --).")
    List<String> command;

    @Option(names = {"-c", "--container"}, paramLabel = "CONTAINER",
            description = "The container; by default the pod's kubectl.kubernetes.io/default-container or its first one.")
    String container;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NAMESPACE", defaultValue = "default",
            description = "The pod's namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = {"-i", "--stdin"}, description = "Pass stdin to the command.")
    boolean stdin;

    @Option(names = {"-t", "--tty"}, description = "Give the command a terminal (with -i and a terminal on stdin).")
    boolean tty;

    @Option(names = {"-q", "--quiet"}, description = "Only the command's output: no notes from skiff.")
    boolean quiet;

    @CommandLine.Mixin
    SecurePortOptions endpoint = new SecurePortOptions();

    @Override
    public Integer call() {
        return StreamingCommands.run(spec, () -> new RemoteCommand(spec.commandLine().getErr()).run(endpoint.connect(),
                new RemoteCommand.Spec("exec", namespace, pod, Optional.ofNullable(container), stdin, tty, quiet, command)));
    }
}
