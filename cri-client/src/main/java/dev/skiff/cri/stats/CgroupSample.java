package dev.skiff.cri.stats;

import java.util.List;

/**
 * One read of one cgroup, in cAdvisor's terms: cumulative CPU, memory (working set is usage minus inactive file
 * cache), processes and block I/O. A memory limit of {@link Long#MAX_VALUE} means unlimited.
 */
public record CgroupSample(long timestampNanos, long cpuUsageNanos, long cpuUserNanos, long cpuSystemNanos,
                           long memoryUsageBytes, long memoryWorkingSetBytes, long memoryRssBytes,
                           long memoryCacheBytes, long memoryLimitBytes, long pageFaults, long majorPageFaults,
                           long processes, List<BlockIo> blockIo) {
    public static final long UNLIMITED = Long.MAX_VALUE;

    public CgroupSample {
        blockIo = List.copyOf(blockIo);
    }

    /** cAdvisor's working set: usage minus inactive file cache, never negative. */
    public static long workingSet(long usage, long inactiveFile) {
        return Math.max(0L, usage - inactiveFile);
    }

    /** Limit minus working set when a limit is set (containerd's and upstream's availableBytes), else empty. */
    public java.util.OptionalLong memoryAvailableBytes() {
        if (memoryLimitBytes == UNLIMITED) {
            return java.util.OptionalLong.empty();
        }
        return java.util.OptionalLong.of(Math.max(0L, memoryLimitBytes - memoryWorkingSetBytes));
    }

    public long fsReadBytes() {
        return blockIo.stream().mapToLong(BlockIo::readBytes).sum();
    }

    public long fsWriteBytes() {
        return blockIo.stream().mapToLong(BlockIo::writeBytes).sum();
    }

    /** Bytes read and written on one block device ({@code major:minor}), cumulative. */
    public record BlockIo(String device, long readBytes, long writeBytes) {}
}
