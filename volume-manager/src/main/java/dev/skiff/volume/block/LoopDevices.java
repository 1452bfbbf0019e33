package dev.skiff.volume.block;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import dev.skiff.volume.mount.LibC;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loop devices bound to backing files, with losetup's semantics: attach takes a free device from
 * {@code /dev/loop-control} and binds the file with LOOP_CONFIGURE (LOOP_SET_FD + LOOP_SET_STATUS64 on kernels
 * before 5.8), autoclear off so the binding outlives our file descriptors and a restart of Skiff; {@code losetup}
 * is the fallback when the ioctls fail. Which device holds which file is read from
 * {@code /sys/block/loopN/loop/backing_file}, so the state is the kernel's and nothing is remembered here.
 * Every operation is idempotent.
 */
public final class LoopDevices {
    private static final Logger log = LoggerFactory.getLogger(LoopDevices.class);

    private static final Pattern LOOP_NAME = Pattern.compile("loop(\\d+)");
    private static final String DELETED = " (deleted)";
    private static final int LOOP_MAJOR = 7;
    /** A device taken by someone else between GET_FREE and SET_FD (EBUSY) is retried this often. */
    private static final int ATTACH_ATTEMPTS = 5;
    private static final Duration NODE_WAIT = Duration.ofSeconds(1);
    private static final Duration DETACH_WAIT = Duration.ofSeconds(2);

    /** One attach at a time in this process, so a file is never bound twice by two racing callers. */
    private static final Object ATTACH_LOCK = new Object();

    private final Path devDir;
    private final Path sysBlock;
    private final Duration toolTimeout;
    /** False only in tests, to exercise the pre-5.8 LOOP_SET_FD path on a kernel that has LOOP_CONFIGURE. */
    private final boolean useConfigure;

    public LoopDevices() {
        this(Path.of("/dev"), Path.of("/sys/block"), Duration.ofSeconds(30));
    }

    /** @param devDir where the device nodes are; @param sysBlock the sysfs block dir (tests point it at a fixture) */
    LoopDevices(Path devDir, Path sysBlock, Duration toolTimeout) {
        this(devDir, sysBlock, toolTimeout, true);
    }

    LoopDevices(Path devDir, Path sysBlock, Duration toolTimeout, boolean useConfigure) {
        this.devDir = devDir;
        this.sysBlock = sysBlock;
        this.toolTimeout = toolTimeout;
        this.useConfigure = useConfigure;
    }

    /**
     * The loop device bound to {@code file}, binding a free one when none is. Returns the existing device when the
     * file is already attached.
     */
    public Path attach(Path file) throws BlockDeviceException {
        Path real = realFile(file);
        synchronized (ATTACH_LOCK) {
            Optional<Path> existing = find(real);
            if (existing.isPresent()) {
                log.debug("{} is already attached to {}", real, existing.get());
                return existing.get();
            }
            Path device;
            try {
                device = attachByIoctl(real);
            } catch (BlockDeviceException e) {
                log.warn("loop ioctls failed for {} ({}); falling back to losetup", real, e.getMessage());
                device = attachByLosetup(real);
            }
            log.info("attached {} to {}", real, device);
            return device;
        }
    }

    /** The lowest-numbered loop device bound to {@code file}, if any. */
    public Optional<Path> find(Path file) throws BlockDeviceException {
        List<Path> all = findAll(file);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
    }

    /** Every loop device bound to {@code file} (by its real path, as sysfs shows it), lowest number first. */
    public List<Path> findAll(Path file) throws BlockDeviceException {
        Path real;
        try {
            real = file.toRealPath();
        } catch (NoSuchFileException e) {
            return List.of(); // a file that does not exist is attached nowhere (a deleted one shows "(deleted)")
        } catch (IOException e) {
            throw new BlockDeviceException("resolve " + file + ": " + e.getMessage(), e);
        }
        List<Path> found = new ArrayList<>();
        for (int n : loopNumbers()) {
            Optional<Path> backing = backingFile(n);
            if (backing.isPresent() && backing.get().equals(real)) {
                found.add(devDir.resolve("loop" + n));
            }
        }
        return found;
    }

    /** The file bound to {@code device} (e.g. /dev/loop3), empty when the device is free. */
    public Optional<Path> backingFile(Path device) throws BlockDeviceException {
        OptionalInt n = loopNumber(device.getFileName().toString());
        if (n.isEmpty()) {
            throw new BlockDeviceException(device + " is not a loop device");
        }
        return backingFile(n.getAsInt());
    }

    /** Detaches every loop device bound to {@code file}; false when none was. */
    public boolean detach(Path file) throws BlockDeviceException {
        boolean any = false;
        for (Path device : findAll(file)) {
            any |= detachDevice(device);
        }
        return any;
    }

    /**
     * LOOP_CLR_FD on {@code device}; false when it was already free. A device still open elsewhere (mounted) is
     * cleared by the kernel when its last user closes it; that is logged, and the call still returns true.
     */
    public boolean detachDevice(Path device) throws BlockDeviceException {
        OptionalInt n = loopNumber(device.getFileName().toString());
        if (n.isEmpty()) {
            throw new BlockDeviceException(device + " is not a loop device");
        }
        Optional<Path> backing = backingFile(n.getAsInt());
        if (backing.isEmpty() && !Files.exists(device)) {
            return false;
        }
        LoopLibC c = LoopLibC.get();
        int fd;
        try {
            fd = c.open(device.toString(), LoopLibC.O_RDWR | LoopLibC.O_CLOEXEC, 0);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == LibC.ENOENT || e.getErrorCode() == LoopLibC.ENXIO) {
                return false;
            }
            throw new BlockDeviceException("open " + device + ": " + LibC.describe(e.getErrorCode()), e);
        }
        try {
            c.ioctl(fd, new NativeLong(LoopLibC.LOOP_CLR_FD), new NativeLong(0));
        } catch (LastErrorException e) {
            if (e.getErrorCode() == LoopLibC.ENXIO) {
                return false; // not bound
            }
            throw new BlockDeviceException("LOOP_CLR_FD on " + device + ": " + LibC.describe(e.getErrorCode()), e);
        } finally {
            closeQuietly(fd, device);
        }
        if (waitUntilFree(n.getAsInt())) {
            log.info("detached {} from {}", device, backing.map(Path::toString).orElse("its file"));
        } else {
            log.warn("{} is still open (mounted?); the kernel detaches it from {} when its last user closes it",
                    device, backing.map(Path::toString).orElse("its file"));
        }
        return true;
    }

    // ---- attach by ioctl

    private Path attachByIoctl(Path real) throws BlockDeviceException {
        BlockDeviceException last = null;
        for (int attempt = 0; attempt < ATTACH_ATTEMPTS; attempt++) {
            int n = getFree();
            Path device = ensureNode(n);
            try {
                bind(device, real);
                return device;
            } catch (BusyException e) {
                last = e; // taken by another process since GET_FREE: ask for the next free one
                log.debug("{} was taken before we could bind {}; retrying", device, real);
            }
        }
        throw new BlockDeviceException("no free loop device for " + real + " after " + ATTACH_ATTEMPTS
                + " attempts", last);
    }

    private int getFree() throws BlockDeviceException {
        LoopLibC c = LoopLibC.get();
        String control = devDir.resolve("loop-control").toString();
        int fd;
        try {
            fd = c.open(control, LoopLibC.O_RDWR | LoopLibC.O_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw new BlockDeviceException("open " + control + ": " + LibC.describe(e.getErrorCode()), e);
        }
        try {
            return c.ioctl(fd, new NativeLong(LoopLibC.LOOP_CTL_GET_FREE), new NativeLong(0));
        } catch (LastErrorException e) {
            throw new BlockDeviceException("LOOP_CTL_GET_FREE on " + control + ": "
                    + LibC.describe(e.getErrorCode()), e);
        } finally {
            closeQuietly(fd, Path.of(control));
        }
    }

    /**
     * The node for loop{@code n}. GET_FREE may have just created the device; devtmpfs adds its node, and where
     * /dev is no devtmpfs (some containers) the node is made here from the numbers sysfs gives.
     */
    private Path ensureNode(int n) throws BlockDeviceException {
        Path device = devDir.resolve("loop" + n);
        long deadline = System.nanoTime() + NODE_WAIT.toNanos();
        while (!Files.exists(device) && System.nanoTime() < deadline) {
            sleep(20);
        }
        if (Files.exists(device)) {
            return device;
        }
        int minor = n;
        int major = LOOP_MAJOR;
        try {
            String[] mm = Files.readString(sysBlock.resolve("loop" + n).resolve("dev")).strip().split(":");
            major = Integer.parseInt(mm[0]);
            minor = Integer.parseInt(mm[1]);
        } catch (IOException | RuntimeException e) {
            log.debug("no usable {}/loop{}/dev ({}); assuming {}:{}", sysBlock, n, e.toString(), major, minor);
        }
        try {
            LoopLibC.get().mknod(device.toString(), LoopLibC.S_IFBLK | 0660, makedev(major, minor));
        } catch (LastErrorException e) {
            if (e.getErrorCode() != LibC.EEXIST) {
                throw new BlockDeviceException("mknod " + device + " (block " + major + ":" + minor + "): "
                        + LibC.describe(e.getErrorCode()), e);
            }
        }
        log.info("created the missing device node {} (block {}:{})", device, major, minor);
        return device;
    }

    private void bind(Path device, Path real) throws BlockDeviceException {
        LoopLibC c = LoopLibC.get();
        int fileFd;
        try {
            fileFd = c.open(real.toString(), LoopLibC.O_RDWR | LoopLibC.O_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw new BlockDeviceException("open " + real + ": " + LibC.describe(e.getErrorCode()), e);
        }
        try {
            int loopFd;
            try {
                loopFd = c.open(device.toString(), LoopLibC.O_RDWR | LoopLibC.O_CLOEXEC, 0);
            } catch (LastErrorException e) {
                throw new BlockDeviceException("open " + device + ": " + LibC.describe(e.getErrorCode()), e);
            }
            try {
                if (!useConfigure || !configure(c, loopFd, fileFd, device, real)) {
                    setFdAndStatus(c, loopFd, fileFd, device, real);
                }
            } finally {
                closeQuietly(loopFd, device);
            }
        } finally {
            closeQuietly(fileFd, real);
        }
    }

    /** LOOP_CONFIGURE (Linux 5.8+): binds and sets the status in one call. False when the kernel lacks it. */
    private static boolean configure(LoopLibC c, int loopFd, int fileFd, Path device, Path real)
            throws BlockDeviceException {
        try (Memory config = new Memory(LoopLibC.LOOP_CONFIG_SIZE)) {
            config.clear();
            config.setInt(0, fileFd);
            fillInfo(config, LoopLibC.CONFIG_INFO, real);
            c.ioctl(loopFd, new NativeLong(LoopLibC.LOOP_CONFIGURE), config);
            return true;
        } catch (LastErrorException e) {
            int errno = e.getErrorCode();
            if (errno == LoopLibC.ENOTTY || errno == LoopLibC.EINVAL) {
                log.debug("LOOP_CONFIGURE unsupported on {} ({}); using LOOP_SET_FD", device, LibC.describe(errno));
                return false;
            }
            throw failure("LOOP_CONFIGURE", device, real, errno, e);
        }
    }

    /** The pre-5.8 way: LOOP_SET_FD, then LOOP_SET_STATUS64 for the name; undone when the second call fails. */
    private static void setFdAndStatus(LoopLibC c, int loopFd, int fileFd, Path device, Path real)
            throws BlockDeviceException {
        try {
            c.ioctl(loopFd, new NativeLong(LoopLibC.LOOP_SET_FD), new NativeLong(fileFd));
        } catch (LastErrorException e) {
            throw failure("LOOP_SET_FD", device, real, e.getErrorCode(), e);
        }
        try (Memory info = new Memory(LoopLibC.LOOP_INFO64_SIZE)) {
            info.clear();
            fillInfo(info, 0, real);
            c.ioctl(loopFd, new NativeLong(LoopLibC.LOOP_SET_STATUS64), info);
        } catch (LastErrorException e) {
            try {
                c.ioctl(loopFd, new NativeLong(LoopLibC.LOOP_CLR_FD), new NativeLong(0));
            } catch (LastErrorException undo) {
                log.warn("cannot undo LOOP_SET_FD on {}: {}", device, LibC.describe(undo.getErrorCode()));
            }
            throw new BlockDeviceException("LOOP_SET_STATUS64 on " + device + " for " + real + ": "
                    + LibC.describe(e.getErrorCode()), e);
        }
    }

    /** loop_info64 at {@code offset}: lo_file_name (truncated as losetup does), flags 0 so autoclear stays off. */
    private static void fillInfo(Memory buf, int offset, Path real) {
        byte[] name = fileName(real.toString());
        buf.write(offset + LoopLibC.INFO_FILE_NAME, name, 0, name.length);
        buf.setInt(offset + LoopLibC.INFO_FLAGS, 0);
    }

    private static BlockDeviceException failure(String call, Path device, Path real, int errno, Throwable cause) {
        String msg = call + " on " + device + " for " + real + ": " + LibC.describe(errno);
        return errno == LoopLibC.EBUSY ? new BusyException(msg, cause) : new BlockDeviceException(msg, cause);
    }

    // ---- attach by losetup

    /** Package-private so the fallback can be tested on its own. */
    Path attachByLosetup(Path real) throws BlockDeviceException {
        Commands.Result r = Commands.run(List.of(Commands.require("losetup").toString(), "-f", "--show",
                real.toString()), toolTimeout);
        if (r.exitCode() != 0) {
            throw new BlockDeviceException("cannot attach " + real + ": " + r.describe());
        }
        return parseLosetupShow(r.stdout()).orElseThrow(() -> new BlockDeviceException("cannot attach " + real
                + ": " + r.describe() + " printed no device: " + r.stdout().strip()));
    }

    /** What LOOP_GET_STATUS64 says of a bound device: lo_file_name and lo_flags. */
    record Status(String fileName, int flags) {
    }

    /** LOOP_GET_STATUS64 on {@code device}; throws (ENXIO) when it is free. */
    Status status(Path device) throws BlockDeviceException {
        LoopLibC c = LoopLibC.get();
        int fd;
        try {
            fd = c.open(device.toString(), LoopLibC.O_RDWR | LoopLibC.O_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw new BlockDeviceException("open " + device + ": " + LibC.describe(e.getErrorCode()), e);
        }
        try (Memory info = new Memory(LoopLibC.LOOP_INFO64_SIZE)) {
            info.clear();
            c.ioctl(fd, new NativeLong(LoopLibC.LOOP_GET_STATUS64), info);
            byte[] name = info.getByteArray(LoopLibC.INFO_FILE_NAME, LoopLibC.LO_NAME_SIZE);
            int len = 0;
            while (len < name.length && name[len] != 0) {
                len++;
            }
            return new Status(new String(name, 0, len, StandardCharsets.UTF_8), info.getInt(LoopLibC.INFO_FLAGS));
        } catch (LastErrorException e) {
            throw new BlockDeviceException("LOOP_GET_STATUS64 on " + device + ": " + LibC.describe(e.getErrorCode()), e);
        } finally {
            closeQuietly(fd, device);
        }
    }

    // ---- sysfs

    private List<Integer> loopNumbers() throws BlockDeviceException {
        List<Integer> numbers = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(sysBlock, "loop*")) {
            for (Path e : entries) {
                loopNumber(e.getFileName().toString()).ifPresent(numbers::add);
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new BlockDeviceException("list " + sysBlock + ": " + e.getMessage(), e);
        }
        numbers.sort(Comparator.naturalOrder());
        return numbers;
    }

    private Optional<Path> backingFile(int n) throws BlockDeviceException {
        Path attr = sysBlock.resolve("loop" + n).resolve("loop").resolve("backing_file");
        try {
            return parseBackingFile(Files.readString(attr));
        } catch (NoSuchFileException e) {
            return Optional.empty(); // the loop/ group exists only while a file is bound
        } catch (IOException e) {
            throw new BlockDeviceException("read " + attr + ": " + e.getMessage(), e);
        }
    }

    private boolean waitUntilFree(int n) throws BlockDeviceException {
        long deadline = System.nanoTime() + DETACH_WAIT.toNanos();
        while (backingFile(n).isPresent()) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            sleep(20);
        }
        return true;
    }

    // ---- pure helpers

    /** The number of a loop device's name ("loop12" → 12); empty for anything else ("loop-control", "loop1p1"). */
    static OptionalInt loopNumber(String name) {
        Matcher m = LOOP_NAME.matcher(name);
        if (!m.matches()) {
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(Integer.parseInt(m.group(1)));
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    /**
     * The path in a sysfs backing_file attribute. Empty when blank or when the file was deleted after binding
     * (sysfs appends " (deleted)"): such a device is bound to no file that exists under that name.
     */
    static Optional<Path> parseBackingFile(String content) {
        String s = content.endsWith("\n") ? content.substring(0, content.length() - 1) : content;
        if (s.isBlank() || s.endsWith(DELETED)) {
            return Optional.empty();
        }
        return Optional.of(Path.of(s));
    }

    /** The device `losetup -f --show FILE` printed. */
    static Optional<Path> parseLosetupShow(String stdout) {
        for (String line : stdout.split("\n")) {
            String s = line.strip();
            if (s.startsWith("/dev/") && loopNumber(Path.of(s).getFileName().toString()).isPresent()) {
                return Optional.of(Path.of(s));
            }
        }
        return Optional.empty();
    }

    /** lo_file_name: the path's bytes, cut to leave room for the terminating NUL within 64 bytes. */
    static byte[] fileName(String path) {
        byte[] b = path.getBytes(StandardCharsets.UTF_8);
        int len = Math.min(b.length, LoopLibC.LO_NAME_SIZE - 1);
        byte[] out = new byte[len];
        System.arraycopy(b, 0, out, 0, len);
        return out;
    }

    /** glibc's makedev(3) encoding of a dev_t. */
    static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8)
                | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }

    private static Path realFile(Path file) throws BlockDeviceException {
        Path real;
        try {
            real = file.toRealPath();
        } catch (IOException e) {
            throw new BlockDeviceException("cannot attach " + file + ": " + e, e);
        }
        if (!Files.isRegularFile(real)) {
            throw new BlockDeviceException("cannot attach " + real + ": not a regular file");
        }
        return real;
    }

    private static void closeQuietly(int fd, Path what) {
        try {
            LoopLibC.get().close(fd);
        } catch (LastErrorException e) {
            log.debug("close {}: {}", what, LibC.describe(e.getErrorCode()));
        }
    }

    private static void sleep(long millis) throws BlockDeviceException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BlockDeviceException("interrupted", e);
        }
    }

    /** The chosen device was taken between LOOP_CTL_GET_FREE and the bind. */
    private static final class BusyException extends BlockDeviceException {
        BusyException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
