package dev.skiff.kubelet.kuberuntime;

import dev.skiff.cri.v1.LinuxContainerResources;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;

/** A container's cgroup settings (upstream kuberuntime_container_linux.go calculateLinuxResources, cm.MilliCPUToShares). */
public final class LinuxResources {
    static final long MIN_SHARES = 2;
    static final long MAX_SHARES = 262144;
    static final long SHARES_PER_CPU = 1024;
    static final long QUOTA_PERIOD = 100_000;
    static final long MIN_QUOTA = 1000;

    private LinuxResources() {
    }

    public static LinuxContainerResources of(Pod pod, Container container, long memoryCapacityBytes) {
        var res = container.getResources();
        var requests = res == null ? null : res.getRequests();
        var limits = res == null ? null : res.getLimits();
        long cpuRequest = Quantities.milliValue(Quantities.amount(requests, "cpu"));
        long cpuLimit = Quantities.milliValue(Quantities.amount(limits, "cpu"));
        long memoryLimit = Quantities.value(Quantities.amount(limits, "memory"));
        // a request defaults to the limit (the API server does it for new pods; upstream repeats it)
        long shares = milliCpuToShares(cpuRequest == 0 && cpuLimit != 0 ? cpuLimit : cpuRequest);
        LinuxContainerResources.Builder b = LinuxContainerResources.newBuilder()
                .setCpuShares(shares)
                .setCpuPeriod(QUOTA_PERIOD)
                .setCpuQuota(milliCpuToQuota(cpuLimit, QUOTA_PERIOD))
                .setOomScoreAdj(OomScoreAdjust.of(pod, container, memoryCapacityBytes));
        if (memoryLimit != 0) {
            b.setMemoryLimitInBytes(memoryLimit);
        }
        return b.build();
    }

    static long milliCpuToShares(long milliCpu) {
        if (milliCpu == 0) {
            return MIN_SHARES;
        }
        long shares = milliCpu * SHARES_PER_CPU / 1000;
        return Math.max(MIN_SHARES, Math.min(MAX_SHARES, shares));
    }

    /** 0 (no quota) without a limit; else the limit's share of the period, at least 1 ms. */
    static long milliCpuToQuota(long milliCpu, long period) {
        if (milliCpu == 0) {
            return 0;
        }
        return Math.max(MIN_QUOTA, milliCpu * period / 1000);
    }
}
