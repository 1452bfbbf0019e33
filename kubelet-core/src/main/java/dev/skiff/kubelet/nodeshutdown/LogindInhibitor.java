package dev.skiff.kubelet.nodeshutdown;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@link ShutdownInhibitor} on systemd-logind through systemd's own tools, so no D-Bus library is needed:
 * {@code busctl} reads {@code InhibitDelayMaxUSec}, asks systemd to SIGHUP logind, and watches
 * {@code PrepareForShutdown} ({@code busctl monitor --json=short}); {@code systemd-inhibit --mode=delay} holds the
 * lock for as long as its child runs ({@code sh -c 'echo locked; exec cat'}, which ends when Skiff closes its stdin —
 * or dies). Every call has a deadline and every process is ended on release or close.
 *
 * <p>The tools talk to the system bus, or to {@code DBUS_SYSTEM_BUS_ADDRESS} when the environment given here names
 * one (tests run a private bus). {@code busctl monitor} needs root (BecomeMonitor), as Skiff runs.
 */
public final class LogindInhibitor implements ShutdownInhibitor {
    /** Skiff's drop-in; under /run so it is gone after a reboot and Skiff writes it again on start. */
    public static final Path DEFAULT_DROP_IN_DIR = Path.of("/run/systemd/logind.conf.d");
    static final String DROP_IN_FILE = "99-kubelet.conf";
    static final String WHO = "skiff";
    static final String WHY = "Skiff has active pods";
    static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(5);
    static final String LOGIN1 = "org.freedesktop.login1";
    static final String LOGIN1_PATH = "/org/freedesktop/login1";
    static final String MANAGER = "org.freedesktop.login1.Manager";
    static final String MATCH = "type='signal',sender='" + LOGIN1 + "',path='" + LOGIN1_PATH + "',interface='" + MANAGER
            + "',member='PrepareForShutdown'";
    /** What an InhibitDelayMaxUSec too large for nanoseconds (e.g. infinity) stands for. */
    static final Duration UNLIMITED = Duration.ofNanos(Long.MAX_VALUE);
    private static final String LOCKED = "locked";
    private static final String MONITORING = "Monitoring bus message stream.";
    private static final Logger log = LoggerFactory.getLogger(LogindInhibitor.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dropInDir;
    private final Map<String, String> env;
    private final Duration callTimeout;

    /**
     * @param dropInDir   where the logind drop-in goes ({@link #DEFAULT_DROP_IN_DIR})
     * @param env         extra environment of the tools (e.g. {@code DBUS_SYSTEM_BUS_ADDRESS}); empty for the system bus
     * @param callTimeout deadline of each call
     */
    public LogindInhibitor(Path dropInDir, Map<String, String> env, Duration callTimeout) {
        this.dropInDir = dropInDir;
        this.env = Map.copyOf(env);
        this.callTimeout = callTimeout;
    }

    /** logind on the machine's system bus, Skiff's drop-in under /run. */
    public static LogindInhibitor system() {
        return new LogindInhibitor(DEFAULT_DROP_IN_DIR, Map.of(), DEFAULT_CALL_TIMEOUT);
    }

    @Override
    public Duration currentInhibitDelay() throws InhibitorException {
        Subprocess.Result r = busctl("--system", "get-property", LOGIN1, LOGIN1_PATH, MANAGER, "InhibitDelayMaxUSec");
        if (!r.ok()) {
            throw new InhibitorException("logind does not answer on the system bus (" + r.firstErrorLine() + ")"
                    + (env.containsKey("DBUS_SYSTEM_BUS_ADDRESS") || Files.isDirectory(Path.of("/run/systemd/system"))
                    ? "" : "; systemd is not PID 1 here (no /run/systemd/system)"));
        }
        return parseUsec(r.stdout());
    }

    /** busctl's {@code t 5000000} → 5 s. */
    static Duration parseUsec(String busctlOutput) throws InhibitorException {
        String[] parts = busctlOutput.strip().split("\\s+");
        if (parts.length != 2 || !parts[0].equals("t")) {
            throw new InhibitorException("InhibitDelayMaxUSec from logind is not a uint64 as expected: \""
                    + busctlOutput.strip() + "\"");
        }
        long usec;
        try {
            usec = Long.parseUnsignedLong(parts[1]);
        } catch (NumberFormatException e) {
            throw new InhibitorException("InhibitDelayMaxUSec from logind is not a uint64 as expected: \""
                    + busctlOutput.strip() + "\"");
        }
        // beyond what a Duration of nanoseconds holds (USEC_INFINITY among them): no practical limit
        return usec < 0 || usec > Long.MAX_VALUE / 1000 ? UNLIMITED : Duration.ofNanos(usec * 1000);
    }

    @Override
    public void overrideInhibitDelay(Duration delay) throws InhibitorException {
        Path file = dropInDir.resolve(DROP_IN_FILE);
        try {
            Files.createDirectories(dropInDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            Path tmp = Files.createTempFile(dropInDir, "." + DROP_IN_FILE, ".tmp");
            try {
                Files.writeString(tmp, dropInContent(delay));
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new InhibitorException("failed writing logind shutdown inhibit override file " + file + ": " + e, e);
        }
        log.info("wrote {} with InhibitDelayMaxSec={}", file, delay.toSeconds());
    }

    /** Upstream's drop-in: whole seconds, rounded up so that logind's value is never below the request. */
    static String dropInContent(Duration delay) {
        long seconds = delay.toSeconds() + (delay.toNanosPart() > 0 ? 1 : 0);
        return "# Skiff (kubelet) logind override: room for graceful node shutdown\n[Login]\nInhibitDelayMaxSec="
                + seconds + "\n";
    }

    @Override
    public void reloadLogindConf() throws InhibitorException {
        Subprocess.Result r = busctl("--system", "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                "org.freedesktop.systemd1.Manager", "KillUnit", "ssi", "systemd-logind.service", "all", "1");
        if (!r.ok()) {
            throw new InhibitorException("unable to reload logind conf: " + r.firstErrorLine());
        }
    }

    @Override
    public InhibitLock inhibitShutdown() throws InhibitorException {
        List<String> cmd = List.of("systemd-inhibit", "--what=shutdown", "--who=" + WHO, "--why=" + WHY, "--mode=delay",
                "/bin/sh", "-c", "echo " + LOCKED + "; exec cat >/dev/null");
        Process p;
        try {
            p = Subprocess.builder(cmd, env).start();
        } catch (IOException e) {
            throw new InhibitorException("cannot run systemd-inhibit: " + e.getMessage(), e);
        }
        Deque<String> errors = new ArrayDeque<>();
        Thread errReader = readLines(p.getErrorStream(), "node-shutdown-inhibit-stderr", line -> remember(errors, line));
        CountDownLatch locked = new CountDownLatch(1);
        readLines(p.getInputStream(), "node-shutdown-inhibit-stdout", line -> {
            if (line.equals(LOCKED)) {
                locked.countDown(); // the child runs only once logind gave systemd-inhibit the lock
            }
        });
        boolean ok;
        try {
            ok = waitFor(locked, p);
        } catch (InterruptedException e) {
            Subprocess.kill(p, Duration.ZERO);
            Thread.currentThread().interrupt();
            throw new InhibitorException("interrupted while taking the inhibitor lock", e);
        }
        if (!ok) {
            Subprocess.kill(p, Duration.ofMillis(500));
            joinQuietly(errReader);
            String why = lastOf(errors);
            throw new InhibitorException("failed creating systemd inhibitor: "
                    + (why.isEmpty() ? (p.isAlive() ? "no lock within " + callTimeout.toMillis() + "ms"
                    : "systemd-inhibit exited with " + p.exitValue()) : why));
        }
        log.debug("inhibitor lock taken (systemd-inhibit pid {})", p.pid());
        return new ProcessLock(p);
    }

    /** True once the latch opened; false when the process ended first or the deadline passed. */
    private boolean waitFor(CountDownLatch latch, Process p) throws InterruptedException {
        long deadline = System.nanoTime() + callTimeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (latch.await(20, TimeUnit.MILLISECONDS)) {
                return true;
            }
            if (!p.isAlive()) {
                return latch.await(100, TimeUnit.MILLISECONDS); // its last line may still be in the pipe
            }
        }
        return false;
    }

    /** The lock lives as long as systemd-inhibit's child; closing its stdin ends it. */
    private static final class ProcessLock implements InhibitLock {
        private final Process process;
        private boolean released;

        ProcessLock(Process process) {
            this.process = process;
        }

        @Override
        public synchronized void release() {
            if (released) {
                return;
            }
            released = true;
            try {
                OutputStream in = process.getOutputStream();
                in.close();
                if (!process.waitFor(2, TimeUnit.SECONDS)) {
                    Subprocess.kill(process, Duration.ofSeconds(1));
                }
            } catch (IOException e) {
                Subprocess.kill(process, Duration.ofSeconds(1));
            } catch (InterruptedException e) {
                Subprocess.kill(process, Duration.ZERO);
                Thread.currentThread().interrupt();
            }
            log.debug("inhibitor lock released");
        }

        @Override
        public synchronized boolean held() {
            return !released && process.isAlive();
        }
    }

    @Override
    public ShutdownWatch monitorShutdown(ShutdownListener listener) throws InhibitorException {
        List<String> cmd = List.of("busctl", "--system", "monitor", "--json=short", "--match=" + MATCH);
        Map<String, String> monitorEnv = new java.util.HashMap<>(env);
        monitorEnv.put("SYSTEMD_LOG_LEVEL", "info"); // busctl says on stderr when the monitor is in place
        Process p;
        try {
            p = Subprocess.builder(cmd, monitorEnv).start();
            p.getOutputStream().close();
        } catch (IOException e) {
            throw new InhibitorException("cannot run busctl: " + e.getMessage(), e);
        }
        MonitorWatch watch = new MonitorWatch(p, listener);
        Deque<String> errors = new ArrayDeque<>();
        CountDownLatch monitoring = new CountDownLatch(1);
        readLines(p.getErrorStream(), "node-shutdown-monitor-stderr", line -> {
            if (line.strip().equals(MONITORING)) {
                monitoring.countDown();
            } else {
                remember(errors, line);
            }
        });
        watch.start(errors);
        boolean ok;
        try {
            ok = waitFor(monitoring, p);
        } catch (InterruptedException e) {
            watch.close();
            Thread.currentThread().interrupt();
            throw new InhibitorException("interrupted while starting the shutdown watch", e);
        }
        if (!ok) {
            watch.close();
            String why = lastOf(errors);
            throw new InhibitorException("failed to monitor shutdown: " + (why.isEmpty()
                    ? "busctl monitor not ready within " + callTimeout.toMillis() + "ms" : why));
        }
        return watch;
    }

    /** Reads busctl's JSON lines on its own thread and hands PrepareForShutdown's boolean to the listener. */
    private static final class MonitorWatch implements ShutdownWatch {
        private final Process process;
        private final ShutdownListener listener;
        private volatile boolean closed;
        private Thread reader;

        MonitorWatch(Process process, ShutdownListener listener) {
            this.process = process;
            this.listener = listener;
        }

        void start(Deque<String> errors) {
            reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        Boolean active = prepareForShutdown(line);
                        if (active != null && !closed) {
                            listener.prepareForShutdown(active);
                        }
                    }
                } catch (IOException e) {
                    // the process went away; reported below
                }
                if (!closed) {
                    String why;
                    try {
                        process.waitFor(1, TimeUnit.SECONDS);
                        why = "busctl monitor exited" + (process.isAlive() ? "" : " with " + process.exitValue());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        why = "busctl monitor output ended";
                    }
                    String last = lastOf(errors);
                    listener.watchEnded(last.isEmpty() ? why : why + ": " + last);
                }
            }, "node-shutdown-monitor");
            reader.setDaemon(true);
            reader.start();
        }

        @Override
        public void close() {
            closed = true;
            Subprocess.kill(process, Duration.ofSeconds(1));
            if (reader != null && reader != Thread.currentThread()) {
                joinQuietly(reader);
            }
        }
    }

    /**
     * The argument of a PrepareForShutdown signal in one line of {@code busctl monitor --json=short}, e.g.
     * {@code {"type":"signal",...,"member":"PrepareForShutdown","payload":{"type":"b","data":[true]}}}; null for any
     * other line.
     */
    static Boolean prepareForShutdown(String jsonLine) {
        JsonNode n;
        try {
            n = JSON.readTree(jsonLine);
        } catch (IOException e) {
            return null;
        }
        if (n == null || !"signal".equals(n.path("type").asText()) || !"PrepareForShutdown".equals(n.path("member").asText())
                || !MANAGER.equals(n.path("interface").asText())) {
            return null;
        }
        JsonNode payload = n.path("payload");
        JsonNode arg = payload.path("data").path(0);
        if (!"b".equals(payload.path("type").asText()) || !arg.isBoolean()) {
            log.error("Failed obtaining shutdown event, PrepareForShutdown event was not bool type as expected: {}",
                    jsonLine);
            return null;
        }
        return arg.booleanValue();
    }

    private Subprocess.Result busctl(String... args) throws InhibitorException {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add("busctl");
        cmd.addAll(List.of(args));
        return Subprocess.run(cmd, env, callTimeout);
    }

    private static Thread readLines(java.io.InputStream in, String name, java.util.function.Consumer<String> onLine) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    onLine.accept(line);
                }
            } catch (IOException e) {
                // the process went away
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void remember(Deque<String> lines, String line) {
        if (line.isBlank()) {
            return;
        }
        synchronized (lines) {
            lines.addLast(line.strip());
            if (lines.size() > 5) {
                lines.removeFirst();
            }
        }
    }

    private static String lastOf(Deque<String> lines) {
        synchronized (lines) {
            return lines.isEmpty() ? "" : lines.peekLast();
        }
    }

    private static void joinQuietly(Thread t) {
        try {
            t.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
