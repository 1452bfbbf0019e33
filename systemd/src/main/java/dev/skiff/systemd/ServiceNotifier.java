package dev.skiff.systemd;

import java.util.Optional;
import java.util.function.Supplier;

/**
 * What the kubelet tells its service manager: start-up done, what it is doing, that it is alive, that it stops.
 * {@link #fromEnvironment()} picks systemd's protocol when started by systemd with Type=notify, else {@link #none()}.
 */
public interface ServiceNotifier extends AutoCloseable {
    /** Start-up is done ({@code READY=1}), with a status line. */
    void ready(String status);

    /** What the kubelet is doing now, one line ({@code systemctl status} shows it). */
    void status(String status);

    /**
     * Pings the service manager's watchdog while {@code health} returns empty (a present value is the reason the
     * kubelet is unhealthy: no ping, so a wedged kubelet gets restarted). At most once; a no-op without a watchdog.
     */
    void watchdog(Supplier<Optional<String>> health);

    /** Shutting down ({@code STOPPING=1}). */
    void stopping();

    /** Stops the watchdog pings. Idempotent. */
    @Override
    void close();

    /** Systemd's notify protocol, from this process's environment. */
    static ServiceNotifier fromEnvironment() {
        return new SystemdNotifier(System.getenv(), ProcessHandle.current().pid());
    }

    /** Tells nobody anything. */
    static ServiceNotifier none() {
        return NoServiceNotifier.INSTANCE;
    }
}
