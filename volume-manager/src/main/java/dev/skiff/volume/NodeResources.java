package dev.skiff.volume;

/**
 * The node's allocatable CPU and memory: what a downward API {@code limits.cpu} / {@code limits.memory} reads
 * when the container sets no limit (upstream defaultPodLimitsForDownwardAPI).
 */
public record NodeResources(long allocatableMilliCpu, long allocatableMemoryBytes) {
}
