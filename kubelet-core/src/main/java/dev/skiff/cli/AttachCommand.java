package dev.skiff.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;
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

    @CommandLine.Mixin
    RemoteCommandOptions options = new RemoteCommandOptions();

    @Override
    public Integer call() {
        if (options.tty && options.stdin && !options.quiet) {
            spec.commandLine().getErr().println("If you don't see a command prompt, try pressing enter.");
            spec.commandLine().getErr().flush();
        }
        return options.run(spec, "attach", pod, List.of());
    }
}
