package dev.skiff.cri.stats;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/** A pod's usage as the sum of its cgroups' (sandbox and containers), for a pod without a cgroup of its own. */
public record PodSum(CgroupSample sample, OptionalLong nanoCores) {
    public static PodSum of(List<ContainerSample> parts, long timestampNanos) {
        long cpu = 0, user = 0, system = 0, usage = 0, ws = 0, rss = 0, cache = 0, faults = 0, major = 0, procs = 0;
        long limit = 0;
        boolean limited = true;
        long nano = 0;
        boolean allRated = true;
        List<CgroupSample.BlockIo> io = new ArrayList<>();
        for (ContainerSample p : parts) {
            CgroupSample s = p.sample();
            cpu += s.cpuUsageNanos();
            user += s.cpuUserNanos();
            system += s.cpuSystemNanos();
            usage += s.memoryUsageBytes();
            ws += s.memoryWorkingSetBytes();
            rss += s.memoryRssBytes();
            cache += s.memoryCacheBytes();
            faults += s.pageFaults();
            major += s.majorPageFaults();
            procs += s.processes();
            io.addAll(s.blockIo());
            if (s.memoryLimitBytes() == CgroupSample.UNLIMITED) {
                limited = false;
            } else {
                limit += s.memoryLimitBytes();
            }
            if (p.cpuNanoCores().isPresent()) {
                nano += p.cpuNanoCores().getAsLong();
            } else {
                allRated = false;
            }
        }
        CgroupSample sum = new CgroupSample(timestampNanos, cpu, user, system, usage, ws, rss, cache,
                limited ? limit : CgroupSample.UNLIMITED, faults, major, procs, io);
        return new PodSum(sum, allRated && !parts.isEmpty() ? OptionalLong.of(nano) : OptionalLong.empty());
    }
}
