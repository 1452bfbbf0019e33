package dev.skiff.cri.stats;

import java.io.IOException;
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

    /** Empty when the cgroup does not exist (any more). */
    Optional<CgroupSample> read(String path) throws IOException {
        Optional<Path> index = layout.indexRoot().map(r -> r.resolve(CgroupLayout.relative(path)));
        if (index.isEmpty() || !Files.isDirectory(index.get())) {
            return Optional.empty();
        }
        try {
            return Optional.of(layout.unified() ? readV2(path) : readV1(path));
        } catch (NoSuchFileException e) {
            return Optional.empty(); // removed between the reads
        }
    }

    private CgroupSample readV1(String path) throws IOException {
        long now = nowNanos();
        long cpu = 0, user = 0, system = 0;
        Optional<Path> cpuDir = layout.dir("cpuacct", path);
        if (cpuDir.isPresent() && Files.isDirectory(cpuDir.get())) {
            cpu = CgroupFiles.readLong(cpuDir.get().resolve("cpuacct.usage"));
            Map<String, Long> stat = CgroupFiles.readFlatKeyed(cpuDir.get().resolve("cpuacct.stat"));
            user = stat.getOrDefault("user", 0L) * NANOS_PER_TICK;
            system = stat.getOrDefault("system", 0L) * NANOS_PER_TICK;
        }
        long usage = 0, workingSet = 0, rss = 0, cache = 0, limit = CgroupSample.UNLIMITED, faults = 0, major = 0;
        Optional<Path> memDir = layout.dir("memory", path);
        if (memDir.isPresent() && Files.isDirectory(memDir.get())) {
            usage = CgroupFiles.readLong(memDir.get().resolve("memory.usage_in_bytes"));
            limit = CgroupFiles.readLong(memDir.get().resolve("memory.limit_in_bytes"));
            if (limit == 0) {
                limit = CgroupSample.UNLIMITED;
            }
            Map<String, Long> stat = CgroupFiles.readFlatKeyed(memDir.get().resolve("memory.stat"));
            workingSet = CgroupSample.workingSet(usage, stat.getOrDefault("total_inactive_file", 0L));
            rss = stat.getOrDefault("total_rss", 0L);
            cache = stat.getOrDefault("total_cache", 0L);
            faults = stat.getOrDefault("total_pgfault", 0L);
            major = stat.getOrDefault("total_pgmajfault", 0L);
        }
        long processes = processes(layout.dir("pids", path));
        List<CgroupSample.BlockIo> io = List.of();
        Optional<Path> blkio = layout.dir("blkio", path);
        if (blkio.isPresent()) {
            // runc reads the CFQ file when the kernel fills it, else the throttle one (always there)
            String text = CgroupFiles.readOrEmpty(blkio.get().resolve("blkio.io_service_bytes_recursive"));
            if (text.isBlank()) {
                text = CgroupFiles.readOrEmpty(blkio.get().resolve("blkio.throttle.io_service_bytes_recursive"));
            }
            io = CgroupFiles.parseBlkio(text);
        }
        return new CgroupSample(now, cpu, user, system, usage, workingSet, rss, cache, limit, faults, major, processes, io);
    }

    private CgroupSample readV2(String path) throws IOException {
        long now = nowNanos();
        Path dir = layout.dir("", path).orElseThrow();
        Map<String, Long> cpuStat = CgroupFiles.readFlatKeyed(dir.resolve("cpu.stat"));
        long cpu = cpuStat.getOrDefault("usage_usec", 0L) * 1000L;
        long user = cpuStat.getOrDefault("user_usec", 0L) * 1000L;
        long system = cpuStat.getOrDefault("system_usec", 0L) * 1000L;
        long usage, workingSet, rss, cache, limit = CgroupSample.UNLIMITED, faults, major;
        Map<String, Long> stat;
        if (Files.exists(dir.resolve("memory.current"))) {
            usage = CgroupFiles.readLong(dir.resolve("memory.current"));
            limit = CgroupFiles.readLong(dir.resolve("memory.max"));
            if (limit == 0 && !Files.exists(dir.resolve("memory.max"))) {
                limit = CgroupSample.UNLIMITED;
            }
            stat = CgroupFiles.readFlatKeyed(dir.resolve("memory.stat"));
            rss = stat.getOrDefault("anon", 0L);
            cache = stat.getOrDefault("file", 0L);
            workingSet = CgroupSample.workingSet(usage, stat.getOrDefault("inactive_file", 0L));
        } else {
            // the root cgroup: runc's rootStatsFromMeminfo
            Map<String, Long> mem = meminfo();
            usage = mem.getOrDefault("MemTotal", 0L) - mem.getOrDefault("MemFree", 0L);
            cache = mem.getOrDefault("Cached", 0L);
            rss = mem.getOrDefault("Active(anon)", 0L) + mem.getOrDefault("Inactive(anon)", 0L);
            workingSet = CgroupSample.workingSet(usage, mem.getOrDefault("Inactive(file)", 0L));
            stat = CgroupFiles.readFlatKeyed(dir.resolve("memory.stat"));
        }
        faults = stat.getOrDefault("pgfault", 0L);
        major = stat.getOrDefault("pgmajfault", 0L);
        long processes = processes(Optional.of(dir));
        List<CgroupSample.BlockIo> io = CgroupFiles.parseIoStat(CgroupFiles.readOrEmpty(dir.resolve("io.stat")));
        return new CgroupSample(now, cpu, user, system, usage, workingSet, rss, cache, limit, faults, major, processes, io);
    }

    /** pids.current, else the lines of cgroup.procs (the root of a pids hierarchy has no pids.current). */
    private static long processes(Optional<Path> dir) throws IOException {
        if (dir.isEmpty() || !Files.isDirectory(dir.get())) {
            return 0;
        }
        Path current = dir.get().resolve("pids.current");
        if (Files.exists(current)) {
            return CgroupFiles.readLong(current);
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
