package dev.skiff.cri.stats;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * One cgroup's stat files, each opened on first use and then kept open: every pass reads it again from offset 0
 * (the kernel regenerates a cgroup file's text on each read from the start), which costs a quarter of what
 * open-read-close does. A file the cgroup does not have (v1's CFQ {@code blkio.io_service_bytes_recursive} on a
 * kernel without CFQ, a controller not mounted) is remembered as absent and never tried again. A removed cgroup's
 * open files fail to read ({@code ENODEV}): its owner closes it then. Not thread-safe: used under the reader's lock.
 */
final class OpenCgroupFiles implements Closeable {
    /** The files a sample is made of, with the v1 controller whose mount holds them ("" on v2). */
    enum File {
        CPUACCT_USAGE("cpuacct", "cpuacct.usage"), CPUACCT_STAT("cpuacct", "cpuacct.stat"),
        MEMORY_USAGE("memory", "memory.usage_in_bytes"), MEMORY_LIMIT("memory", "memory.limit_in_bytes"),
        MEMORY_STAT_V1("memory", "memory.stat"), PIDS_CURRENT_V1("pids", "pids.current"),
        BLKIO_CFQ("blkio", "blkio.io_service_bytes_recursive"),
        BLKIO_THROTTLE("blkio", "blkio.throttle.io_service_bytes_recursive"),
        CPU_STAT("", "cpu.stat"), MEMORY_CURRENT("", "memory.current"), MEMORY_MAX("", "memory.max"),
        MEMORY_STAT("", "memory.stat"), PIDS_CURRENT("", "pids.current"), IO_STAT("", "io.stat");

        final String controller;
        final String name;

        File(String controller, String name) {
            this.controller = controller;
            this.name = name;
        }
    }

    private static final FileChannel ABSENT = null;

    private final CgroupLayout layout;
    private final String path;
    private final Map<File, FileChannel> open = new EnumMap<>(File.class);

    OpenCgroupFiles(CgroupLayout layout, String path) {
        this.layout = layout;
        this.path = path;
    }

    String path() {
        return path;
    }

    /**
     * Reads {@code file} whole into {@code buf} (cleared first, flipped after): false when the cgroup has no such
     * file. An {@link IOException} means the cgroup is gone (or unreadable).
     */
    boolean read(File file, ByteBuffer buf) throws IOException {
        FileChannel ch = channel(file);
        if (ch == ABSENT) {
            return false;
        }
        buf.clear();
        long pos = 0;
        int n;
        while (buf.hasRemaining() && (n = ch.read(buf, pos)) > 0) {
            pos += n;
        }
        buf.flip();
        return true;
    }

    /** Whether any of the cgroup's files could be opened: a cgroup none of whose files exist is not there. */
    boolean anyOpen() {
        return open.values().stream().anyMatch(c -> c != ABSENT);
    }

    private FileChannel channel(File file) throws IOException {
        if (open.containsKey(file)) {
            return open.get(file);
        }
        Optional<Path> dir = layout.dir(file.controller, path);
        FileChannel ch = ABSENT;
        if (dir.isPresent()) {
            try {
                ch = FileChannel.open(dir.get().resolve(file.name));
            } catch (NoSuchFileException e) {
                ch = ABSENT;
            }
        }
        open.put(file, ch);
        return ch;
    }

    @Override
    public void close() {
        for (FileChannel ch : open.values()) {
            if (ch != ABSENT) {
                try {
                    ch.close();
                } catch (IOException e) {
                    // nothing was written: closing cannot lose anything
                }
            }
        }
        open.clear();
    }
}
