package dev.skiff.cli;

import dev.skiff.kubelet.Kubelet;
import dev.skiff.kubelet.config.ConfigException;
import dev.skiff.kubelet.config.HostFacts;
import dev.skiff.kubelet.config.KubeletConfigurationLoader;
import dev.skiff.kubelet.config.KubeletFlags;
import dev.skiff.kubelet.config.KubeletSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code skiff}: with kubelet flags and no subcommand, runs the kubelet in the foreground until SIGTERM or SIGINT;
 * {@code skiff cri-shim} serves the Docker CRI shim alone; {@code skiff pods} lists a running kubelet's pods.
 */
@Command(name = "skiff",
        mixinStandardHelpOptions = true,
        versionProvider = SkiffVersion.class,
        description = "A single-node kubelet and Docker-backed CRI runtime. Without a subcommand: run the kubelet.",
        subcommands = {CriShimCommand.class, PodsCommand.class})
public final class Main implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(Main.class);
    /** How long the shutdown hook waits for the kubelet to close (workers finish their current step). */
    private static final long SHUTDOWN_TIMEOUT_SECONDS = 20;

    @Mixin
    KubeletFlags flags;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured picocli command line; tests drive it without exiting the JVM. */
    static CommandLine commandLine() {
        return new CommandLine(new Main())
                .setCaseInsensitiveEnumValuesAllowed(true)
                // pflag semantics: a repeated flag's last value wins
                .setOverwrittenOptionsAllowed(true);
    }

    @Override
    public Integer call() throws InterruptedException {
        Verbosity.apply(flags.verbosity());
        KubeletSettings settings;
        try {
            settings = KubeletSettings.load(flags, HostFacts.current(), new KubeletConfigurationLoader());
        } catch (ConfigException e) {
            log.error("invalid configuration: {}", e.getMessage());
            return 2;
        }
        CountDownLatch stopRequested = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        // The JVM halts once shutdown hooks return, so the hook waits (bounded) for the kubelet to close.
        Thread hook = new Thread(() -> {
            log.info("shutting down the kubelet (pods keep running)");
            stopRequested.countDown();
            try {
                closed.await(SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try (Kubelet kubelet = Kubelet.start(settings)) {
            stopRequested.await();
        } catch (Kubelet.KubeletStartException e) {
            log.error("kubelet cannot start: {}", e.getMessage());
            return 1;
        } finally {
            closed.countDown();
        }
        return 0;
    }
}
