package dev.skiff.volume.block;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;

/**
 * The libc calls the loop-device code needs beyond {@code mount.LibC}: open(2), ioctl(2), close(2) and mknod(2).
 * Request numbers and struct layouts are from linux/loop.h and are the same on every architecture.
 */
interface LoopLibC extends Library {
    int O_RDWR = 2;
    int O_CLOEXEC = 02000000;

    // /dev/loop-control requests
    long LOOP_CTL_GET_FREE = 0x4C82;

    // /dev/loopN requests
    long LOOP_SET_FD = 0x4C00;
    long LOOP_CLR_FD = 0x4C01;
    long LOOP_SET_STATUS64 = 0x4C04;
    long LOOP_GET_STATUS64 = 0x4C05;
    long LOOP_CONFIGURE = 0x4C0A;

    int LO_FLAGS_READ_ONLY = 1;
    int LO_FLAGS_AUTOCLEAR = 4;

    int LO_NAME_SIZE = 64;

    /** struct loop_info64: 5 u64, 4 u32, two 64-byte names, a 32-byte key, 2 u64. */
    int LOOP_INFO64_SIZE = 232;
    int INFO_FLAGS = 52;
    int INFO_FILE_NAME = 56;

    /** struct loop_config: u32 fd, u32 block_size, loop_info64 info, u64 reserved[8]. */
    int LOOP_CONFIG_SIZE = 8 + LOOP_INFO64_SIZE + 64;
    int CONFIG_INFO = 8;

    int S_IFBLK = 0060000;

    int ENXIO = 6;
    int EBUSY = 16;
    int EINVAL = 22;
    int ENOTTY = 25;

    /** Variadic in C; the mode is read only with O_CREAT, which we never pass. */
    int open(String path, int flags, int mode) throws LastErrorException;

    /** ioctl(2) with an integer argument (a file descriptor, or none). */
    int ioctl(int fd, NativeLong request, NativeLong arg) throws LastErrorException;

    /** ioctl(2) with a pointer to a struct. */
    int ioctl(int fd, NativeLong request, Pointer arg) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    int mknod(String path, int mode, long dev) throws LastErrorException;

    static LoopLibC get() {
        return Holder.INSTANCE;
    }

    final class Holder {
        static final LoopLibC INSTANCE = Native.load("c", LoopLibC.class,
                java.util.Map.of(Library.OPTION_STRING_ENCODING, "UTF-8"));

        private Holder() {
        }
    }
}
