package dev.skiff.cri.docker;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Reads CPU and memory usage of the cgroup a host process belongs to, straight from the
 * cgroup filesystem (v1 with per-controller mounts, or the v2 unified hierarchy), the way
 * cAdvisor does, instead of asking {@code docker stats}.
 */
public final class CgroupStats {
    private static final Logger log = LoggerFactory.getLogger(CgroupStats.class);

    private final Path cgroupRoot;
    private final Path procRoot;

    public CgroupStats(Path cgroupRoot) {
        this(cgroupRoot, Path.of("/proc"));
    }

    /** Tests pass fake /proc and cgroup trees. */
    CgroupStats(Path cgroupRoot, Path procRoot) {
        this.cgroupRoot = cgroupRoot;
        this.procRoot = procRoot;
    }

    /** Usage of the cgroup that host process {@code pid} belongs to; empty if the process (or its cgroup) is gone. */
    public Optional<Usage> read(int pid) {
        if (pid <= 0) {
            return Optional.empty();
        }
        List<String> membership;
        try {
            membership = Files.readAllLines(procRoot.resolve(Integer.toString(pid)).resolve("cgroup"), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            log.debug("cannot read cgroup membership of pid {}: {}", pid, e.toString());
            return Optional.empty();
        }
        try {
            Map<String, String> v1 = new HashMap<>();
            String v2 = null;
            for (String line : membership) {
                String[] parts = line.split(":", 3);
                if (parts.length != 3) {
                    continue;
                }
                if (parts[0].equals("0") && parts[1].isEmpty()) {
                    v2 = parts[2];
                } else {
                    for (String controller : parts[1].split(",")) {
                        v1.put(controller, parts[1] + "\0" + parts[2]);
                    }
                }
            }
            long now = nowNanos();
            if (v1.containsKey("memory") || v1.containsKey("cpuacct")) {
                return readV1(v1, now);
            }
            if (v2 != null) {
                return readV2(v2, now);
            }
            return Optional.empty();
        } catch (NoSuchFileException e) {
            // The cgroup went away with the process between the reads.
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            log.warn("cannot read cgroup stats of pid {}: {}", pid, e.toString());
            return Optional.empty();
        }
    }

    private Optional<Usage> readV1(Map<String, String> controllers, long now) throws IOException {
        long cpu = 0;
        Path cpuDir = v1Dir(controllers.get("cpuacct"), "cpuacct");
        if (cpuDir != null) {
            cpu = readLong(cpuDir.resolve("cpuacct.usage"));
        }
        long usage = 0, workingSet = 0, rss = 0, faults = 0, majorFaults = 0;
        Path memDir = v1Dir(controllers.get("memory"), "memory");
        if (memDir != null) {
            usage = readLong(memDir.resolve("memory.usage_in_bytes"));
            Map<String, Long> stat = readFlatKeyed(memDir.resolve("memory.stat"));
            workingSet = workingSet(usage, stat.getOrDefault("total_inactive_file", 0L));
            rss = stat.getOrDefault("total_rss", 0L);
            faults = stat.getOrDefault("total_pgfault", 0L);
            majorFaults = stat.getOrDefault("total_pgmajfault", 0L);
        }
        if (cpuDir == null && memDir == null) {
            return Optional.empty();
        }
        return Optional.of(new Usage(now, cpu, workingSet, usage, rss, faults, majorFaults));
    }

    /** The directory of a v1 controller's cgroup: the mount may be named after the joint controllers ("cpu,cpuacct") or the single one. */
    private Path v1Dir(String entry, String controller) {
        if (entry == null) {
            return null;
        }
        int sep = entry.indexOf('\0');
        String joint = entry.substring(0, sep);
        String path = relative(entry.substring(sep + 1));
        for (String mount : List.of(controller, joint)) {
            Path dir = cgroupRoot.resolve(mount).resolve(path);
            if (Files.isDirectory(dir)) {
                return dir;
            }
        }
        return null;
    }

    private Optional<Usage> readV2(String path, long now) throws IOException {
        Path base = cgroupRoot;
        // Hybrid hosts mount the unified hierarchy at <root>/unified.
        if (!Files.exists(base.resolve("cgroup.controllers")) && Files.isDirectory(base.resolve("unified"))) {
            base = base.resolve("unified");
        }
        Path dir = base.resolve(relative(path));
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        long cpu = 0;
        Path cpuStat = dir.resolve("cpu.stat");
        if (Files.exists(cpuStat)) {
            cpu = readFlatKeyed(cpuStat).getOrDefault("usage_usec", 0L) * 1000L;
        }
        long usage = 0, workingSet = 0, rss = 0, faults = 0, majorFaults = 0;
        Path current = dir.resolve("memory.current");
        if (Files.exists(current)) {
            usage = readLong(current);
            Map<String, Long> stat = readFlatKeyed(dir.resolve("memory.stat"));
            workingSet = workingSet(usage, stat.getOrDefault("inactive_file", 0L));
            rss = stat.getOrDefault("anon", 0L);
            faults = stat.getOrDefault("pgfault", 0L);
            majorFaults = stat.getOrDefault("pgmajfault", 0L);
        }
        return Optional.of(new Usage(now, cpu, workingSet, usage, rss, faults, majorFaults));
    }

    /** cAdvisor's working set: usage minus inactive file cache, never negative. */
    static long workingSet(long usage, long inactiveFile) {
        return Math.max(0L, usage - inactiveFile);
    }

    private static String relative(String path) {
        String p = path;
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        return p;
    }

    private static long readLong(Path file) throws IOException {
        String s = Files.readString(file, StandardCharsets.UTF_8).trim();
        if (s.equals("max")) {
            return Long.MAX_VALUE;
        }
        return parseUnsigned(s).orElse(0L);
    }

    static Map<String, Long> readFlatKeyed(Path file) throws IOException {
        Map<String, Long> values = new HashMap<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String[] kv = line.trim().split("\\s+");
            if (kv.length == 2) {
                parseUnsigned(kv[1]).ifPresent(v -> values.put(kv[0], v));
            }
        }
        return values;
    }

    private static OptionalLong parseUnsigned(String s) {
        try {
            long v = Long.parseUnsignedLong(s);
            return OptionalLong.of(v < 0 ? Long.MAX_VALUE : v);
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    private static long nowNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    public record Usage(long timestampNanos, long cpuUsageCoreNanos, long memoryWorkingSetBytes, long memoryUsageBytes,
                        long memoryRssBytes, long pageFaults, long majorPageFaults) {}
}
