package dev.skiff.systemd;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Pings systemd's watchdog ({@code WATCHDOG=1}) every half of {@code $WATCHDOG_USEC} on the {@code sd-watchdog}
 * daemon thread, but only while {@code health} reports no problem. A wedged kubelet therefore stops pinging and
 * systemd kills and restarts it after WatchdogSec; the reason is logged once per change.
 */
public final class SdWatchdog implements AutoCloseable {
    public static final String WATCHDOG_USEC = "WATCHDOG_USEC";
    public static final String WATCHDOG_PID = "WATCHDOG_PID";
    private static final Logger log = LoggerFactory.getLogger(SdWatchdog.class);

    private final SdNotify notify;
    private final Duration period;
    private final Supplier<Optional<String>> health;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final Thread thread;
    /** The problem last logged, "" while healthy; only the pinging thread touches it. */
    private String lastProblem = "";

    /**
     * The watchdog timeout systemd expects pings within, as sd_watchdog_enabled(3) reads it: {@code WATCHDOG_USEC}
     * set and positive, and {@code WATCHDOG_PID}, when set, equal to {@code pid} (else the variables were meant for
     * another process, e.g. our parent). Empty when the watchdog is off.
     */
    public static Optional<Duration> timeout(Map<String, String> env, long pid) {
        String usec = env.get(WATCHDOG_USEC);
        if (usec == null || usec.isEmpty()) {
            return Optional.empty();
        }
        long micros;
        try {
            micros = Long.parseLong(usec.strip());
        } catch (NumberFormatException e) {
            log.warn("{}={} is not a number of microseconds: systemd watchdog not pinged", WATCHDOG_USEC, usec);
            return Optional.empty();
        }
        if (micros <= 0) {
            return Optional.empty();
        }
        String watchdogPid = env.get(WATCHDOG_PID);
        if (watchdogPid != null && !watchdogPid.isEmpty()) {
            long p;
            try {
                p = Long.parseLong(watchdogPid.strip());
            } catch (NumberFormatException e) {
                log.warn("{}={} is not a pid: systemd watchdog not pinged", WATCHDOG_PID, watchdogPid);
                return Optional.empty();
            }
            if (p != pid) {
                log.info("{}={} is not this process ({}): systemd watchdog not pinged", WATCHDOG_PID, p, pid);
                return Optional.empty();
            }
        }
        return Optional.of(Duration.ofNanos(TimeUnit.MICROSECONDS.toNanos(micros)));
    }

    /**
     * Starts pinging through {@code notify} every half of {@code timeout} while {@code health} returns empty (a
     * present value is the reason the process is unhealthy).
     */
    public static SdWatchdog start(SdNotify notify, Duration timeout, Supplier<Optional<String>> health) {
        SdWatchdog w = new SdWatchdog(notify, timeout.dividedBy(2), health);
        w.thread.start();
        log.info("systemd watchdog: pinging every {} ms while healthy (timeout {} ms)", w.period.toMillis(),
                timeout.toMillis());
        return w;
    }

    private SdWatchdog(SdNotify notify, Duration period, Supplier<Optional<String>> health) {
        this.notify = Objects.requireNonNull(notify, "notify");
        this.period = period.isZero() ? Duration.ofNanos(1) : period;
        this.health = Objects.requireNonNull(health, "health");
        this.thread = new Thread(this::run, "sd-watchdog");
        this.thread.setDaemon(true);
    }

    /** How often it pings (half the timeout). */
    public Duration period() {
        return period;
    }

    private void run() {
        try {
            do {
                tick();
            } while (!stop.await(period.toNanos(), TimeUnit.NANOSECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void tick() {
        String problem;
        try {
            problem = health.get().orElse("");
        } catch (RuntimeException e) {
            problem = "health check failed: " + e;
        }
        if (!problem.equals(lastProblem)) {
            if (problem.isEmpty()) {
                log.info("systemd watchdog: healthy again, pinging");
            } else {
                log.warn("systemd watchdog: not pinging while unhealthy: {} (systemd restarts skiff if this lasts "
                        + "past WatchdogSec)", problem);
            }
            lastProblem = problem;
        }
        if (problem.isEmpty()) {
            notify.watchdog();
        }
    }

    /** Stops pinging and waits (bounded) for the thread to end. Idempotent. */
    @Override
    public void close() {
        stop.countDown();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
