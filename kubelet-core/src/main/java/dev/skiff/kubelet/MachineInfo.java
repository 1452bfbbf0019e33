package dev.skiff.kubelet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The machine's capacity, as cadvisor reports it to the kubelet: CPUs and MemTotal. */
record MachineInfo(int cpus, long memoryBytes) {
    static MachineInfo current() {
        return new MachineInfo(Runtime.getRuntime().availableProcessors(), memTotal(Path.of("/proc/meminfo")));
    }

    static long memTotal(Path meminfo) {
        try {
            for (String line : Files.readAllLines(meminfo)) {
                if (line.startsWith("MemTotal:")) {
                    String[] f = line.trim().split("\\s+");
                    return Long.parseLong(f[1]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall back to what the JVM sees
        }
        return Math.max(1, Runtime.getRuntime().maxMemory());
    }
}
