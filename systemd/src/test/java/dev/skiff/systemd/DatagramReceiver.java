package dev.skiff.systemd;

import com.sun.jna.LastErrorException;
import com.sun.jna.NativeLong;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The test's end of NOTIFY_SOCKET: a real AF_UNIX datagram socket bound to a path or an {@code @abstract} name. */
public final class DatagramReceiver implements AutoCloseable {
    private static final int EAGAIN = 11;
    private final int fd;
    private final String address;

    public DatagramReceiver(String address) {
        this.address = address;
        SdLibC libc = SdLibC.get();
        this.fd = libc.socket(SdLibC.AF_UNIX, SdLibC.SOCK_DGRAM | SdLibC.SOCK_CLOEXEC, 0);
        UnixAddress a = UnixAddress.of(address);
        try {
            libc.bind(fd, a.bytes(), a.length());
        } catch (LastErrorException e) {
            libc.close(fd);
            throw e;
        }
    }

    /** The value to put in NOTIFY_SOCKET. */
    public String address() {
        return address;
    }

    /** The next datagram, or empty when none arrives within {@code timeout}. */
    public Optional<String> receive(Duration timeout) {
        SdLibC libc = SdLibC.get();
        byte[] tv = SdLibC.timeval(Math.max(1, timeout.toMillis()));
        libc.setsockopt(fd, SdLibC.SOL_SOCKET, SdLibC.SO_RCVTIMEO, tv, tv.length);
        byte[] buf = new byte[4096];
        try {
            long n = libc.recv(fd, buf, new NativeLong(buf.length), 0).longValue();
            return Optional.of(new String(buf, 0, (int) n, StandardCharsets.UTF_8));
        } catch (LastErrorException e) {
            if (e.getErrorCode() == EAGAIN) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Every datagram that arrives during {@code window}. */
    public List<String> receiveFor(Duration window) {
        List<String> got = new ArrayList<>();
        long deadline = System.nanoTime() + window.toNanos();
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            receive(Duration.ofNanos(left)).ifPresent(got::add);
        }
        return got;
    }

    /** Discards what is queued now. */
    public void drain() {
        while (receive(Duration.ofMillis(1)).isPresent()) {
            // discard
        }
    }

    @Override
    public void close() {
        SdLibC.get().close(fd);
    }
}
