package dev.skiff.cri.stats;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads one cgroup's {@link CgroupSample} from its files, as cAdvisor (through runc's cgroup managers) does:
 * v1 {@code cpuacct.usage}, {@code cpuacct.stat}, {@code memory.usage_in_bytes}, {@code memory.limit_in_bytes},
 * {@code memory.stat} (total_* keys), {@code pids.current}, {@code blkio.throttle.io_service_bytes_recursive};
 * v2 {@code cpu.stat}, {@code memory.current}, {@code memory.max}, {@code memory.stat}, {@code pids.current},
 * {@code io.stat}. The v2 root has no memory files: there usage comes from {@code /proc/meminfo}, as runc does.
 * The files are parsed as bytes in one reused buffer: no String or map per file. Not thread-safe (its buffer):
 * used under the stats reader's lock.
 */
final class CgroupReader {
    /** USER_HZ: cpuacct.stat counts in 1/100 s. */
    private static final long NANOS_PER_TICK = 10_000_000L;

    private final CgroupLayout layout;
    private final Path procRoot;
    private final Clock clock;

    CgroupReader(CgroupLayout layout, Path procRoot, Clock clock) {
        this.layout = layout;
        this.procRoot = procRoot;
        this.clock = clock;
    }

    /** Empty when the cgroup does not exist (any more). Opens and closes its files: for a one-off read. */
    Optional<CgroupSample> read(String path) throws IOException {
        try (OpenCgroupFiles files = new OpenCgroupFiles(layout, path)) {
            return read(files);
        }
    }

    /**
     * Empty when the cgroup does not exist (any more): none of its files could be opened, or an open one could not
     * be read again (a removed cgroup's files answer ENODEV); the caller then closes {@code files}.
     */
    Optional<CgroupSample> read(OpenCgroupFiles files) {
        try {
            CgroupSample s = layout.unified() ? readV2(files) : readV1(files);
            if (!files.anyOpen() && !exists(files.path())) {
                return Optional.empty();
            }
            return Optional.of(s);
        } catch (IOException e) {
            return Optional.empty(); // removed between the reads
        }
    }

    private boolean exists(String path) {
        return layout.indexRoot().map(r -> Files.isDirectory(r.resolve(CgroupLayout.relative(path)))).orElse(false);
    }

    private static final byte[][] CPUACCT_STAT = CgroupFiles.keys("user", "system");
    private static final byte[][] MEMORY_STAT_V1 = CgroupFiles.keys("total_inactive_file", "total_rss", "total_cache",
            "total_pgfault", "total_pgmajfault");
    private static final byte[][] CPU_STAT = CgroupFiles.keys("usage_usec", "user_usec", "system_usec");
    private static final byte[][] MEMORY_STAT = CgroupFiles.keys("anon", "file", "inactive_file", "pgfault", "pgmajfault");

    /** The read buffer, reused: cgroup files are small (memory.stat ~1 KiB), io files grow with devices. */
    private final ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    private final long[] values = new long[5];

    private CgroupSample readV1(OpenCgroupFiles f) throws IOException {
        long now = nowNanos();
        long cpu = readLong(f, OpenCgroupFiles.File.CPUACCT_USAGE);
        long user = 0, system = 0;
        if (f.read(OpenCgroupFiles.File.CPUACCT_STAT, buf)) {
            CgroupFiles.parseFlatKeyed(buf, CPUACCT_STAT, values);
            user = values[0] * NANOS_PER_TICK;
            system = values[1] * NANOS_PER_TICK;
        }
        long usage = readLong(f, OpenCgroupFiles.File.MEMORY_USAGE);
        long limit = readLong(f, OpenCgroupFiles.File.MEMORY_LIMIT);
        if (limit == 0) {
            limit = CgroupSample.UNLIMITED;
        }
        long workingSet = 0, rss = 0, cache = 0, faults = 0, major = 0;
        if (f.read(OpenCgroupFiles.File.MEMORY_STAT_V1, buf)) {
            CgroupFiles.parseFlatKeyed(buf, MEMORY_STAT_V1, values);
            workingSet = CgroupSample.workingSet(usage, values[0]);
            rss = values[1];
            cache = values[2];
            faults = values[3];
            major = values[4];
        }
        long processes = processes(f, OpenCgroupFiles.File.PIDS_CURRENT_V1, layout.dir("pids", f.path()));
        // runc reads the CFQ file when the kernel fills it, else the throttle one (always there)
        String text = f.read(OpenCgroupFiles.File.BLKIO_CFQ, buf) ? CgroupFiles.text(buf) : "";
        if (text.isBlank()) {
            text = f.read(OpenCgroupFiles.File.BLKIO_THROTTLE, buf) ? CgroupFiles.text(buf) : "";
        }
        List<CgroupSample.BlockIo> io = text.isEmpty() ? List.of() : CgroupFiles.parseBlkio(text);
        return new CgroupSample(now, cpu, user, system, usage, workingSet, rss, cache, limit, faults, major, processes, io);
    }

    private CgroupSample readV2(OpenCgroupFiles f) throws IOException {
        long now = nowNanos();
        long cpu = 0, user = 0, system = 0;
        if (f.read(OpenCgroupFiles.File.CPU_STAT, buf)) {
            CgroupFiles.parseFlatKeyed(buf, CPU_STAT, values);
            cpu = values[0] * 1000L;
            user = values[1] * 1000L;
            system = values[2] * 1000L;
        }
        long usage, workingSet, rss, cache, limit = CgroupSample.UNLIMITED, faults = 0, major = 0;
        boolean memoryFiles = f.read(OpenCgroupFiles.File.MEMORY_CURRENT, buf);
        if (memoryFiles) {
            usage = CgroupFiles.parseLong(buf);
            if (f.read(OpenCgroupFiles.File.MEMORY_MAX, buf)) {
                limit = CgroupFiles.parseLong(buf);
            }
        } else {
            usage = 0;
        }
        boolean stat = f.read(OpenCgroupFiles.File.MEMORY_STAT, buf);
        if (stat) {
            CgroupFiles.parseFlatKeyed(buf, MEMORY_STAT, values);
            faults = values[3];
            major = values[4];
        }
        if (memoryFiles) {
            rss = stat ? values[0] : 0;
            cache = stat ? values[1] : 0;
            workingSet = CgroupSample.workingSet(usage, stat ? values[2] : 0);
        } else {
            // the root cgroup: runc's rootStatsFromMeminfo
            Map<String, Long> mem = meminfo();
            usage = mem.getOrDefault("MemTotal", 0L) - mem.getOrDefault("MemFree", 0L);
            cache = mem.getOrDefault("Cached", 0L);
            rss = mem.getOrDefault("Active(anon)", 0L) + mem.getOrDefault("Inactive(anon)", 0L);
            workingSet = CgroupSample.workingSet(usage, mem.getOrDefault("Inactive(file)", 0L));
        }
        long processes = processes(f, OpenCgroupFiles.File.PIDS_CURRENT, layout.dir("", f.path()));
        List<CgroupSample.BlockIo> io = f.read(OpenCgroupFiles.File.IO_STAT, buf)
                ? CgroupFiles.parseIoStat(CgroupFiles.text(buf)) : List.of();
        return new CgroupSample(now, cpu, user, system, usage, workingSet, rss, cache, limit, faults, major, processes, io);
    }

    private long readLong(OpenCgroupFiles f, OpenCgroupFiles.File file) throws IOException {
        return f.read(file, buf) ? CgroupFiles.parseLong(buf) : 0;
    }

    /** pids.current, else the lines of cgroup.procs (the root of a pids hierarchy has no pids.current). */
    private long processes(OpenCgroupFiles f, OpenCgroupFiles.File current, Optional<Path> dir) throws IOException {
        if (f.read(current, buf)) {
            return CgroupFiles.parseLong(buf);
        }
        return processes(dir);
    }

    /** The lines of cgroup.procs. */
    private static long processes(Optional<Path> dir) throws IOException {
        if (dir.isEmpty() || !Files.isDirectory(dir.get())) {
            return 0;
        }
        return CgroupFiles.readOrEmpty(dir.get().resolve("cgroup.procs")).lines().filter(l -> !l.isBlank()).count();
    }

    /** /proc/meminfo in bytes. */
    private Map<String, Long> meminfo() throws IOException {
        Map<String, Long> out = new java.util.HashMap<>();
        for (String line : CgroupFiles.readOrEmpty(procRoot.resolve("meminfo")).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2 && f[0].endsWith(":")) {
                long v = CgroupFiles.parseUnsigned(f[1]).orElse(0L);
                out.put(f[0].substring(0, f[0].length() - 1), f.length == 3 && f[2].equals("kB") ? v * 1024 : v);
            }
        }
        return out;
    }

    private long nowNanos() {
        Instant now = clock.instant();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
