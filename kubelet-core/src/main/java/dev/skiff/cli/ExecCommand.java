package dev.skiff.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;
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

    @CommandLine.Mixin
    RemoteCommandOptions options = new RemoteCommandOptions();

    @Override
    public Integer call() {
        return options.run(spec, "exec", pod, command);
    }
}
