package dev.skiff.cli;

import picocli.CommandLine.Command;

/** {@code skiff top}: resource usage, as {@code kubectl top}; {@code skiff top pods} is the one kind there is. */
@Command(name = "top", mixinStandardHelpOptions = true, versionProvider = SkiffVersion.class,
        description = "Display resource (CPU/memory) usage of the Skiff kubelet's pods.",
        subcommands = {TopPodsCommand.class})
final class TopCommand {
}
