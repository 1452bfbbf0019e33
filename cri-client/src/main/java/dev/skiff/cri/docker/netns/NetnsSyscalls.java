package dev.skiff.cri.docker.netns;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;

import java.util.Map;

/** The three libc calls that move one thread between network namespaces, bound through JNA; failures carry errno. */
interface NetnsSyscalls extends Library {
    int O_RDONLY = 0;
    int O_CLOEXEC = 02000000;
    /** setns(2) nstype: the fd must refer to a network namespace. */
    int CLONE_NEWNET = 0x40000000;
    int ENOENT = 2;
    int ESRCH = 3;

    /** Variadic in C; the mode is read only with O_CREAT/O_TMPFILE, which we never pass. */
    int open(String path, int flags, int mode) throws LastErrorException;

    /** Moves the calling thread (only it) into the namespace {@code fd} refers to. */
    int setns(int fd, int nstype) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    static NetnsSyscalls libc() {
        return Holder.INSTANCE;
    }

    final class Holder {
        static final NetnsSyscalls INSTANCE = Native.load("c", NetnsSyscalls.class,
                Map.of(Library.OPTION_STRING_ENCODING, "UTF-8"));

        private Holder() {
        }
    }
}
