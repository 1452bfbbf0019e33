package dev.skiff.cli;

import dev.skiff.kubelet.Kubelet;
import dev.skiff.kubelet.config.ConfigException;
import dev.skiff.kubelet.config.HostFacts;
import dev.skiff.kubelet.config.KubeletConfigurationLoader;
import dev.skiff.kubelet.config.KubeletFlags;
import dev.skiff.kubelet.config.KubeletSettings;
import dev.skiff.systemd.ServiceNotifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code skiff}: with kubelet flags and no subcommand, runs the kubelet in the foreground until SIGTERM or SIGINT
 * (telling systemd READY, STATUS, WATCHDOG and STOPPING when started as a Type=notify service);
 * {@code skiff cri-shim} serves the Docker CRI shim alone; {@code skiff pods} lists a running kubelet's pods.
 */
@Command(name = "skiff",
        mixinStandardHelpOptions = true,
        versionProvider = SkiffVersion.class,
        description = "A single-node kubelet and Docker-backed CRI runtime. Without a subcommand: run the kubelet.",
        subcommands = {CriShimCommand.class, PodsCommand.class, GetCommand.class, DescribeCommand.class, TopCommand.class, LogsCommand.class,
                ExecCommand.class, AttachCommand.class, PortForwardCommand.class})
public final class Main implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(Main.class);
    /** How long the shutdown hook waits for the kubelet to close (workers finish their current step). */
    private static final long SHUTDOWN_TIMEOUT_SECONDS = 20;
    private static final long READY_POLL_MILLIS = 200;
    private static final long STATUS_PERIOD_SECONDS = 10;

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
        ServiceNotifier notifier = ServiceNotifier.fromEnvironment();
        Kubelet kubelet = new Kubelet(settings, notifier::status);
        // fed from now on: waiting for Docker is progress; a stuck sync loop or PLEG stops the pings
        notifier.watchdog(kubelet::liveness);
        CountDownLatch stopRequested = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        // The JVM halts once shutdown hooks return, so the hook waits (bounded) for the kubelet to close.
        Thread hook = new Thread(() -> {
            log.info("shutting down the kubelet (pods keep running)");
            notifier.stopping();
            stopRequested.countDown();
            kubelet.close(); // also ends a wait for the runtime
            try {
                closed.await(SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try (kubelet; notifier) {
            kubelet.start();
            reportUntilStopped(kubelet, notifier, stopRequested);
        } catch (Kubelet.KubeletStartException e) {
            log.error("kubelet cannot start: {}", e.getMessage());
            return 1;
        } finally {
            closed.countDown();
        }
        return 0;
    }

    /** READY=1 once the first sync is done, then a STATUS= line whenever the summary changes. */
    private static void reportUntilStopped(Kubelet kubelet, ServiceNotifier notifier, CountDownLatch stopRequested)
            throws InterruptedException {
        while (!kubelet.initialSyncDone()) {
            if (stopRequested.await(READY_POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                return;
            }
        }
        String last = kubelet.summary();
        notifier.ready(last);
        log.info("kubelet ready: {}", last);
        while (!stopRequested.await(STATUS_PERIOD_SECONDS, TimeUnit.SECONDS)) {
            String now = kubelet.summary();
            if (!now.equals(last)) {
                notifier.status(now);
                last = now;
            }
        }
    }
}
