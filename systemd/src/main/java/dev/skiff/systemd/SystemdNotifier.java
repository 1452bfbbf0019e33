package dev.skiff.systemd;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@link ServiceNotifier} over systemd's notify protocol: {@link SdNotify} for the messages, {@link SdWatchdog} for
 * the pings when {@code $WATCHDOG_USEC} asks for them. Does nothing when {@code $NOTIFY_SOCKET} is unset.
 */
public final class SystemdNotifier implements ServiceNotifier {
    private final SdNotify notify;
    private final Optional<Duration> watchdogTimeout;
    private SdWatchdog watchdog;
    private boolean closed;

    /**
     * @param env the environment systemd gave the process (NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID)
     * @param pid this process's pid, matched against WATCHDOG_PID
     */
    public SystemdNotifier(Map<String, String> env, long pid) {
        this.notify = new SdNotify(env);
        this.watchdogTimeout = notify.enabled() ? SdWatchdog.timeout(env, pid) : Optional.empty();
    }

    @Override
    public void ready(String status) {
        notify.ready(status);
    }

    @Override
    public void status(String status) {
        notify.status(status);
    }

    @Override
    public synchronized void watchdog(Supplier<Optional<String>> health) {
        if (watchdog == null && !closed && watchdogTimeout.isPresent()) {
            watchdog = SdWatchdog.start(notify, watchdogTimeout.get(), health);
        }
    }

    /** Whether watchdog pings are running. */
    public synchronized boolean watchdogRunning() {
        return watchdog != null && !closed;
    }

    @Override
    public void stopping() {
        notify.stopping();
    }

    @Override
    public void close() {
        SdWatchdog w;
        synchronized (this) {
            closed = true;
            w = watchdog;
        }
        if (w != null) {
            w.close();
        }
    }

    @Override
    public String toString() {
        return notify + watchdogTimeout.map(t -> ", watchdog " + t.toMillis() + " ms").orElse("");
    }
}
