package dev.skiff.systemd;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The libc socket calls sd_notify needs (and the tests' receiving end), bound through JNA. Java's channels do not do
 * Unix datagram sockets, hence this. Constants are Linux's (the same on x86_64 and arm64).
 */
interface SdLibC extends Library {
    int AF_UNIX = 1;
    int SOCK_DGRAM = 2;
    int SOCK_CLOEXEC = 02000000;
    int SOL_SOCKET = 1;
    int SO_RCVTIMEO = 20;
    int SO_SNDTIMEO = 21;
    int MSG_NOSIGNAL = 0x4000;

    int socket(int domain, int type, int protocol) throws LastErrorException;

    NativeLong sendto(int fd, byte[] buf, NativeLong len, int flags, byte[] addr, int addrLen)
            throws LastErrorException;

    int bind(int fd, byte[] addr, int addrLen) throws LastErrorException;

    NativeLong recv(int fd, byte[] buf, NativeLong len, int flags) throws LastErrorException;

    int setsockopt(int fd, int level, int name, byte[] value, int len) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    String strerror(int errno);

    /** The bound library, loaded on first use (throws {@link LinkageError} when JNA cannot load libc). */
    static SdLibC get() {
        return Holder.INSTANCE;
    }

    /** A {@code struct timeval} of {@code millis}, for SO_RCVTIMEO / SO_SNDTIMEO. */
    static byte[] timeval(long millis) {
        ByteBuffer b = ByteBuffer.allocate(2 * Native.LONG_SIZE).order(ByteOrder.nativeOrder());
        if (Native.LONG_SIZE == 8) {
            b.putLong(millis / 1000).putLong((millis % 1000) * 1000);
        } else {
            b.putInt((int) (millis / 1000)).putInt((int) ((millis % 1000) * 1000));
        }
        return b.array();
    }

    /** {@code "Connection refused (errno 111)"}. */
    static String describe(LastErrorException e) {
        String text;
        try {
            text = get().strerror(e.getErrorCode());
        } catch (RuntimeException | LinkageError ignored) {
            text = "error";
        }
        return text + " (errno " + e.getErrorCode() + ")";
    }

    final class Holder {
        static final SdLibC INSTANCE = Native.load("c", SdLibC.class);

        private Holder() {
        }
    }
}
