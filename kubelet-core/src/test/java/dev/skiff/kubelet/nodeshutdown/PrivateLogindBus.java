package dev.skiff.kubelet.nodeshutdown;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A private system bus ({@code dbus-daemon} with its own config and socket) with a tiny fake systemd-logind and
 * systemd on it, written in Python with Debian's python3-dbus: enough of org.freedesktop.login1.Manager
 * (InhibitDelayMaxUSec, Inhibit with a real fd whose closing ends the lock, ListInhibitors, PrepareForShutdown) and
 * of org.freedesktop.systemd1.Manager.KillUnit (SIGHUP re-reads the drop-in directory) for the real busctl and
 * systemd-inhibit to talk to. The test owns both processes and ends them on close.
 */
final class PrivateLogindBus implements AutoCloseable {
    static final String PYTHON = "/usr/bin/python3";

    private static final String BUS_CONF = """
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
             "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig>
              <type>system</type>
              <listen>unix:path=%s</listen>
              <auth>EXTERNAL</auth>
              <policy context="default">
                <allow user="*"/>
                <allow own="*"/>
                <allow send_type="method_call"/>
                <allow send_type="signal"/>
                <allow send_type="method_return"/>
                <allow send_type="error"/>
                <allow receive_type="method_call"/>
                <allow receive_type="signal"/>
                <allow receive_type="method_return"/>
                <allow receive_type="error"/>
              </policy>
            </busconfig>
            """;

    private static final String FAKE_LOGIND = """
            import glob, os, sys
            import dbus, dbus.service, dbus.mainloop.glib
            from gi.repository import GLib

            MGR = 'org.freedesktop.login1.Manager'

            class Login(dbus.service.Object):
                def __init__(self, bus, delay_usec, confdir):
                    super().__init__(bus, '/org/freedesktop/login1')
                    self.delay = delay_usec
                    self.confdir = confdir
                    self.locks = {}

                @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature='ss', out_signature='v')
                def Get(self, iface, prop):
                    if iface == MGR and prop == 'InhibitDelayMaxUSec':
                        return dbus.UInt64(self.delay)
                    raise dbus.exceptions.DBusException(prop, name='org.freedesktop.DBus.Error.UnknownProperty')

                @dbus.service.method(MGR, in_signature='ssss', out_signature='h')
                def Inhibit(self, what, who, why, mode):
                    r, w = os.pipe()
                    self.locks[r] = (what, who, why, mode)
                    GLib.io_add_watch(r, GLib.IO_HUP | GLib.IO_ERR | GLib.IO_IN, self.released)
                    print('inhibit', what, who, why, mode, flush=True)
                    fd = dbus.types.UnixFd(w)
                    os.close(w)
                    return fd

                def released(self, fd, cond):
                    print('released', self.locks.pop(fd, None), flush=True)
                    os.close(fd)
                    return False

                @dbus.service.method(MGR, in_signature='', out_signature='a(ssssuu)')
                def ListInhibitors(self):
                    return dbus.Array([dbus.Struct((a, b, c, d, dbus.UInt32(0), dbus.UInt32(0)))
                                       for (a, b, c, d) in self.locks.values()], signature='(ssssuu)')

                @dbus.service.signal(MGR, signature='b')
                def PrepareForShutdown(self, active):
                    pass

                @dbus.service.method('dev.skiff.test.FakeLogind', in_signature='b', out_signature='')
                def EmitPrepareForShutdown(self, active):
                    self.PrepareForShutdown(active)

                def reload(self):
                    for f in sorted(glob.glob(os.path.join(self.confdir, '*.conf'))):
                        for line in open(f):
                            line = line.strip()
                            if line.startswith('InhibitDelayMaxSec='):
                                self.delay = int(line.split('=', 1)[1]) * 1000000
                    print('reloaded', self.delay, flush=True)

            class Systemd(dbus.service.Object):
                def __init__(self, bus, login):
                    super().__init__(bus, '/org/freedesktop/systemd1')
                    self.login = login

                @dbus.service.method('org.freedesktop.systemd1.Manager', in_signature='ssi', out_signature='')
                def KillUnit(self, unit, who, sig):
                    print('killunit', unit, who, sig, flush=True)
                    if unit == 'systemd-logind.service' and sig == 1:
                        self.login.reload()

            dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
            bus = dbus.SystemBus()
            login = Login(bus, int(sys.argv[1]), sys.argv[2])
            names = [dbus.service.BusName('org.freedesktop.login1', bus),
                     dbus.service.BusName('org.freedesktop.systemd1', bus)]
            systemd = Systemd(bus, login)
            print('ready', flush=True)
            GLib.MainLoop().run()
            """;

    private final Path dir;
    private final Path socket;
    private Process daemon;
    private Process logind;
    final List<String> logindOutput = new CopyOnWriteArrayList<>();

    private PrivateLogindBus(Path dir) {
        this.dir = dir;
        this.socket = dir.resolve("system_bus_socket");
    }

    /** Why this machine cannot run the private bus, if it cannot. */
    static Optional<String> missing() {
        for (String tool : List.of("dbus-daemon", "busctl", "systemd-inhibit")) {
            if (!LogindInhibitorTest.onPath(tool)) {
                return Optional.of(tool + " is not installed");
            }
        }
        if (!Files.isExecutable(Path.of(PYTHON))) {
            return Optional.of(PYTHON + " is not installed");
        }
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import dbus, dbus.service, dbus.mainloop.glib; "
                    + "from gi.repository import GLib").redirectErrorStream(true).start();
            if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return Optional.of("python3-dbus and python3-gi are not installed (Debian packages)");
            }
        } catch (IOException e) {
            return Optional.of("cannot run " + PYTHON + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        }
        return Optional.empty();
    }

    /** Starts the bus and the fake logind (delay {@code delay}, reading drop-ins from {@code confDir} on SIGHUP). */
    static PrivateLogindBus start(Path dir, Duration delay, Path confDir) throws Exception {
        PrivateLogindBus bus = new PrivateLogindBus(dir);
        try {
            bus.startDaemon();
            bus.startLogind(delay, confDir);
            return bus;
        } catch (Exception | AssertionError e) {
            bus.close();
            throw e;
        }
    }

    void startDaemon() throws Exception {
        Path conf = dir.resolve("bus.conf");
        Files.writeString(conf, BUS_CONF.formatted(socket));
        Files.deleteIfExists(socket);
        daemon = new ProcessBuilder("dbus-daemon", "--config-file=" + conf, "--nofork", "--nopidfile")
                .redirectErrorStream(true).redirectOutput(dir.resolve("dbus-daemon.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.exists(socket)) {
            if (!daemon.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("dbus-daemon did not start: " + Files.readString(dir.resolve("dbus-daemon.log")));
            }
            Thread.sleep(20);
        }
    }

    void startLogind(Duration delay, Path confDir) throws Exception {
        Path script = dir.resolve("fake_logind.py");
        Files.writeString(script, FAKE_LOGIND);
        ProcessBuilder pb = new ProcessBuilder(PYTHON, script.toString(), Long.toString(delay.toNanos() / 1000),
                confDir.toString()).redirectErrorStream(true);
        pb.environment().putAll(env());
        logind = pb.start();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(logind.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    logindOutput.add(line);
                }
            } catch (IOException e) {
                // ended
            }
        }, "fake-logind-output");
        reader.setDaemon(true);
        reader.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!logindOutput.contains("ready")) {
            if (!logind.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("fake logind did not start: " + logindOutput);
            }
            Thread.sleep(20);
        }
    }

    /** The environment that sends the systemd tools to this bus. */
    Map<String, String> env() {
        return Map.of("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=" + socket);
    }

    /** busctl on this bus; fails the test when it fails. */
    String busctl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("busctl", "--system"));
        cmd.addAll(List.of(args));
        Subprocess.Result r = Subprocess.run(cmd, env(), Duration.ofSeconds(10));
        if (!r.ok()) {
            throw new AssertionError(cmd + " failed: " + r.stderr());
        }
        return r.stdout().strip();
    }

    /** logind's inhibitors, busctl's text form, e.g. {@code a(ssssuu) 1 "shutdown" "skiff" "..." "delay" 0 0}. */
    String inhibitors() throws Exception {
        return busctl("call", "org.freedesktop.login1", "/org/freedesktop/login1", "org.freedesktop.login1.Manager",
                "ListInhibitors");
    }

    void emitPrepareForShutdown(boolean active) throws Exception {
        busctl("call", "org.freedesktop.login1", "/org/freedesktop/login1", "dev.skiff.test.FakeLogind",
                "EmitPrepareForShutdown", "b", Boolean.toString(active));
    }

    /** Ends the bus daemon (and with it every connection), leaving the fake logind to die with it. */
    void stopDaemon() throws InterruptedException {
        Subprocess.kill(daemon, Duration.ofSeconds(2));
        if (logind != null) {
            logind.waitFor(5, TimeUnit.SECONDS);
            Subprocess.kill(logind, Duration.ofSeconds(2));
        }
    }

    @Override
    public void close() {
        if (logind != null) {
            Subprocess.kill(logind, Duration.ofSeconds(2));
        }
        if (daemon != null) {
            Subprocess.kill(daemon, Duration.ofSeconds(2));
        }
    }
}
