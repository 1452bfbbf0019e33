package dev.skiff.volume.mount;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

import java.util.Map;

/**
 * The few libc calls the mounter and the subPath code make, bound through JNA. Every call that can fail throws
 * {@link LastErrorException} carrying errno; {@link #describe(int)} turns errno into {@code "text (ENAME)"}.
 * Flag values are Linux's (x86_64 and the asm-generic layout; arm64's open flags differ and are chosen at load).
 */
public interface LibC extends Library {
    // mount(2) flags
    long MS_RDONLY = 1;
    long MS_NOSUID = 2;
    long MS_NODEV = 4;
    long MS_NOEXEC = 8;
    long MS_REMOUNT = 32;
    long MS_NOATIME = 1024;
    long MS_NODIRATIME = 2048;
    long MS_BIND = 4096;
    long MS_REC = 16384;
    long MS_PRIVATE = 1 << 18;
    long MS_SLAVE = 1 << 19;
    long MS_SHARED = 1 << 20;
    long MS_RELATIME = 1 << 21;
    long MS_STRICTATIME = 1 << 24;

    // umount2(2) flags
    int MNT_DETACH = 2;
    int UMOUNT_NOFOLLOW = 8;

    // open(2) flags
    int O_RDONLY = 0;
    int O_DIRECTORY = Platform.isARM() ? 040000 : 0200000;
    int O_NOFOLLOW = Platform.isARM() ? 0100000 : 0400000;
    int O_CLOEXEC = 02000000;
    /** Never blocks in open(2): a FIFO without a writer opens at once (and is then refused by its type). */
    int O_NONBLOCK = 04000;
    int O_PATH = 010000000;

    // *at(2) flags
    int AT_FDCWD = -100;
    int AT_SYMLINK_NOFOLLOW = 0x100;
    int AT_EMPTY_PATH = 0x1000;

    // statx(2) mask bits
    int STATX_TYPE = 0x1;
    int STATX_MODE = 0x2;
    int STATX_INO = 0x100;
    int STATX_MNT_ID = 0x1000;

    // st_mode file types
    int S_IFMT = 0170000;
    int S_IFDIR = 0040000;
    int S_IFREG = 0100000;
    int S_IFLNK = 0120000;
    int S_IFIFO = 0010000;
    int S_IFSOCK = 0140000;
    int S_IFCHR = 0020000;
    int S_IFBLK = 0060000;

    int EINVAL = 22;
    int ENOENT = 2;
    int EEXIST = 17;

    int mount(String source, String target, String fsType, NativeLong flags, String data) throws LastErrorException;

    int umount2(String target, int flags) throws LastErrorException;

    /** Variadic in C; the mode is read only with O_CREAT/O_TMPFILE, which we never pass. */
    int openat(int dirFd, String path, int flags, int mode) throws LastErrorException;

    int mkdirat(int dirFd, String path, int mode) throws LastErrorException;

    int fchmod(int fd, int mode) throws LastErrorException;

    int chmod(String path, int mode) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    /** read(2) into {@code buf} from its start; the count read, 0 at the end of the file. */
    long read(int fd, byte[] buf, long count) throws LastErrorException;

    /** statx(2): its buffer layout is the same on every architecture, unlike struct stat. */
    int statx(int dirFd, String path, int flags, int mask, Pointer buf) throws LastErrorException;

    String strerror(int errno);

    /** The bound library, loaded on first use. */
    static LibC get() {
        return Holder.INSTANCE;
    }

    /** {@code "No space left on device (ENOSPC)"}. */
    static String describe(int errno) {
        String text;
        try {
            text = get().strerror(errno);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            text = "errno " + errno;
        }
        String name = Holder.ERRNO_NAMES.get(errno);
        return name == null ? text : text + " (" + name + ")";
    }

    /** The errno of a failed call, or -1 when {@code e} is no {@link LastErrorException}. */
    static int errno(Throwable e) {
        return e instanceof LastErrorException le ? le.getErrorCode() : -1;
    }

    /** statx of {@code path} relative to {@code dirFd}; {@code path} "" with AT_EMPTY_PATH stats the fd itself. */
    static Stat stat(int dirFd, String path, int flags) throws LastErrorException {
        try (Memory buf = new Memory(256)) {
            buf.clear();
            get().statx(dirFd, path, flags, STATX_TYPE | STATX_MODE | STATX_INO | STATX_MNT_ID, buf);
            int mode = buf.getShort(28) & 0xffff;
            long ino = buf.getLong(32);
            long devMajor = buf.getInt(136) & 0xffffffffL;
            long devMinor = buf.getInt(140) & 0xffffffffL;
            long mountId = buf.getLong(144);
            return new Stat(mode, (devMajor << 32) | devMinor, ino, mountId);
        }
    }

    /** What statx says of one file: its mode (type and permission bits), device, inode and mount id. */
    record Stat(int mode, long dev, long ino, long mountId) {
        public int type() {
            return mode & S_IFMT;
        }

        public boolean isDirectory() {
            return type() == S_IFDIR;
        }

        public boolean isSymlink() {
            return type() == S_IFLNK;
        }

        public int permissions() {
            return mode & 07777;
        }

        public boolean sameFile(Stat other) {
            return dev == other.dev && ino == other.ino;
        }
    }

    final class Holder {
        static final LibC INSTANCE = Native.load("c", LibC.class,
                Map.of(Library.OPTION_STRING_ENCODING, "UTF-8"));

        static final Map<Integer, String> ERRNO_NAMES = Map.ofEntries(
                Map.entry(1, "EPERM"), Map.entry(2, "ENOENT"), Map.entry(5, "EIO"), Map.entry(6, "ENXIO"),
                Map.entry(9, "EBADF"), Map.entry(12, "ENOMEM"), Map.entry(13, "EACCES"), Map.entry(14, "EFAULT"),
                Map.entry(15, "ENOTBLK"), Map.entry(16, "EBUSY"), Map.entry(17, "EEXIST"), Map.entry(18, "EXDEV"),
                Map.entry(19, "ENODEV"), Map.entry(20, "ENOTDIR"), Map.entry(21, "EISDIR"), Map.entry(22, "EINVAL"),
                Map.entry(24, "EMFILE"), Map.entry(28, "ENOSPC"), Map.entry(30, "EROFS"),
                Map.entry(36, "ENAMETOOLONG"), Map.entry(38, "ENOSYS"), Map.entry(39, "ENOTEMPTY"),
                Map.entry(40, "ELOOP"), Map.entry(95, "EOPNOTSUPP"), Map.entry(116, "ESTALE"));

        private Holder() {
        }
    }
}
