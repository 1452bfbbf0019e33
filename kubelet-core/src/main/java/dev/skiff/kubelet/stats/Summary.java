package dev.skiff.kubelet.stats;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;

import java.util.List;

/**
 * The kubelet's Summary API ({@code /stats/summary}), upstream's {@code stats/v1alpha1} types with their JSON
 * names: absent values are left out, times are RFC 3339 with second precision (metav1.Time).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Summary(NodeStats node, List<PodStats> pods) {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record NodeStats(String nodeName, List<ContainerStats> systemContainers, String startTime, CpuStats cpu,
                            MemoryStats memory, NetworkStats network, FsStats fs, RuntimeStats runtime,
                            RlimitStats rlimit) {}

    /** A container, or a system container ("kubelet", "pods"). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ContainerStats(String name, String startTime, CpuStats cpu, MemoryStats memory, FsStats rootfs,
                                 FsStats logs) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PodReference(String name, String namespace, String uid) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PodStats(PodReference podRef, String startTime,
                           @JsonInclude(JsonInclude.Include.ALWAYS) List<ContainerStats> containers,
                           CpuStats cpu, MemoryStats memory, NetworkStats network,
                           @JsonInclude(JsonInclude.Include.NON_EMPTY) List<VolumeStats> volume,
                           @JsonProperty("ephemeral-storage") FsStats ephemeralStorage,
                           @JsonProperty("process_stats") ProcessStats processStats) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record CpuStats(String time, Long usageNanoCores, Long usageCoreNanoSeconds) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record MemoryStats(String time, Long availableBytes, Long usageBytes, Long workingSetBytes, Long rssBytes,
                              Long pageFaults, Long majorPageFaults) {}

    /** The default interface (eth0) inline, every interface in {@code interfaces}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record NetworkStats(String time, @JsonUnwrapped InterfaceStats defaultInterface,
                               List<InterfaceStats> interfaces) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record InterfaceStats(String name, Long rxBytes, Long rxErrors, Long txBytes, Long txErrors) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record FsStats(String time, Long availableBytes, Long capacityBytes, Long usedBytes, Long inodesFree,
                          Long inodes, Long inodesUsed) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record VolumeStats(@JsonUnwrapped FsStats fs, String name, PvcReference pvcRef) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PvcReference(String name, String namespace) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RuntimeStats(FsStats imageFs, FsStats containerFs) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RlimitStats(String time, Long maxpid, Long curproc) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ProcessStats(@JsonProperty("process_count") Long processCount) {}
}
