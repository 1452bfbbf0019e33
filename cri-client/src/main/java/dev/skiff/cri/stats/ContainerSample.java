package dev.skiff.cri.stats;

import java.util.OptionalLong;

/**
 * One container's cgroup read within a {@link StatsSnapshot}; {@code cpuNanoCores} is the average CPU use since
 * the previous snapshot that saw this cgroup (empty on the first sight, as upstream's usageNanoCores).
 */
public record ContainerSample(String id, String cgroupPath, CgroupSample sample, OptionalLong cpuNanoCores) {}
