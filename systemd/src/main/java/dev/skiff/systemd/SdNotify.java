package dev.skiff.systemd;

import com.sun.jna.LastErrorException;
import com.sun.jna.NativeLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sends sd_notify(3) datagrams to {@code $NOTIFY_SOCKET} (a path or an {@code @abstract} name): READY, STATUS,
 * WATCHDOG, STOPPING. Like sd_notify, every message opens its own datagram socket, sends once and closes it;
 * safe from any thread. Without {@code $NOTIFY_SOCKET} (not started by systemd with Type=notify) it does nothing.
 *
 * <p>A failure to send is logged once per kind and never thrown: the kubelet must not die because systemd is busy.
 */
public final class SdNotify {
    public static final String NOTIFY_SOCKET = "NOTIFY_SOCKET";
    private static final Logger log = LoggerFactory.getLogger(SdNotify.class);
    /** A send blocks while systemd's queue is full; bounded so that a stuck manager cannot stall the caller. */
    private static final long SEND_TIMEOUT_MILLIS = 2000;

    private final String socket;
    private final UnixAddress address;
    private final Set<String> reported = ConcurrentHashMap.newKeySet();

    /** Reads {@code NOTIFY_SOCKET} from {@code env} (tests pass their own). */
    public SdNotify(Map<String, String> env) {
        String s = env.get(NOTIFY_SOCKET);
        this.socket = s == null || s.isEmpty() ? null : s;
        UnixAddress a = null;
        if (socket == null) {
            log.debug("{} is not set: not running under systemd's Type=notify, sd_notify messages are not sent",
                    NOTIFY_SOCKET);
        } else {
            try {
                a = UnixAddress.of(socket);
            } catch (IllegalArgumentException e) {
                log.warn("{}={} is not usable: {}; sd_notify messages are not sent", NOTIFY_SOCKET, socket,
                        e.getMessage());
            }
        }
        this.address = a;
    }

    /** From this process's environment. */
    public static SdNotify fromEnvironment() {
        return new SdNotify(System.getenv());
    }

    /** Whether messages go anywhere (NOTIFY_SOCKET set and usable). */
    public boolean enabled() {
        return address != null;
    }

    /** {@code READY=1} with a {@code STATUS=} line: start-up is done. */
    public boolean ready(String status) {
        return send("READY=1\nSTATUS=" + oneLine(status));
    }

    /** {@code STATUS=...}: what the service is doing, shown by {@code systemctl status}. */
    public boolean status(String status) {
        return send("STATUS=" + oneLine(status));
    }

    /** {@code WATCHDOG=1}: the service is alive; systemd restarts it when these stop for WatchdogSec. */
    public boolean watchdog() {
        return send("WATCHDOG=1");
    }

    /** {@code STOPPING=1}: the service is shutting down. */
    public boolean stopping() {
        return send("STOPPING=1");
    }

    /**
     * Sends {@code message} (newline-separated assignments) as one datagram.
     *
     * @return whether it was sent; false when disabled or when sending failed (logged once per kind)
     */
    public boolean send(String message) {
        if (address == null) {
            return false;
        }
        byte[] payload = message.getBytes(StandardCharsets.UTF_8);
        SdLibC libc;
        try {
            libc = SdLibC.get();
        } catch (LinkageError | RuntimeException e) {
            reportOnce("libc", "cannot load libc through JNA: " + e);
            return false;
        }
        int fd;
        try {
            fd = libc.socket(SdLibC.AF_UNIX, SdLibC.SOCK_DGRAM | SdLibC.SOCK_CLOEXEC, 0);
        } catch (LastErrorException e) {
            reportOnce("socket/" + e.getErrorCode(), "socket(AF_UNIX, SOCK_DGRAM): " + SdLibC.describe(e));
            return false;
        }
        try {
            byte[] timeout = SdLibC.timeval(SEND_TIMEOUT_MILLIS);
            libc.setsockopt(fd, SdLibC.SOL_SOCKET, SdLibC.SO_SNDTIMEO, timeout, timeout.length);
            libc.sendto(fd, payload, new NativeLong(payload.length), SdLibC.MSG_NOSIGNAL, address.bytes(),
                    address.length());
            return true;
        } catch (LastErrorException e) {
            reportOnce("sendto/" + e.getErrorCode(), "sending \"" + firstLine(message) + "\" to " + socket + ": "
                    + SdLibC.describe(e));
            return false;
        } finally {
            try {
                libc.close(fd);
            } catch (LastErrorException e) {
                reportOnce("close/" + e.getErrorCode(), "close: " + SdLibC.describe(e));
            }
        }
    }

    /** The first failure of each kind is a warning; repeats are debug lines (the watchdog would repeat every 30 s). */
    private void reportOnce(String kind, String what) {
        if (reported.add(kind)) {
            log.warn("sd_notify: {} (further failures of this kind are logged at debug)", what);
        } else {
            log.debug("sd_notify: {}", what);
        }
    }

    /** A STATUS value is one line: a newline would start a new assignment. */
    private static String oneLine(String s) {
        return s == null ? "" : s.replace('\n', ' ').replace('\r', ' ');
    }

    private static String firstLine(String message) {
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    @Override
    public String toString() {
        return address == null ? "sd_notify (disabled)" : "sd_notify to " + socket;
    }
}
