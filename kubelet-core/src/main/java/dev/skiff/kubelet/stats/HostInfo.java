package dev.skiff.kubelet.stats;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** The node's boot time ({@code btime} of /proc/stat) and process limits, as upstream reports them. */
final class HostInfo {
    private final Path procRoot;

    HostInfo(Path procRoot) {
        this.procRoot = procRoot;
    }

    /** Boot time in Unix seconds: cAdvisor's creation time of the root container, the node's startTime. */
    OptionalLong bootTimeSeconds() {
        try {
            for (String line : Files.readAllLines(procRoot.resolve("stat"))) {
                if (line.startsWith("btime ")) {
                    return OptionalLong.of(Long.parseLong(line.substring(6).trim()));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // unknown
        }
        return OptionalLong.empty();
    }

    /** kernel.pid_max. */
    OptionalLong maxPid() {
        try {
            return OptionalLong.of(Long.parseLong(Files.readString(procRoot.resolve("sys/kernel/pid_max")).trim()));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** Tasks on the node (sysinfo's procs, upstream's curproc): the total in /proc/loadavg's "running/total". */
    OptionalLong processes() {
        try {
            String[] f = Files.readString(procRoot.resolve("loadavg")).trim().split("\\s+");
            if (f.length >= 4 && f[3].contains("/")) {
                return OptionalLong.of(Long.parseLong(f[3].substring(f[3].indexOf('/') + 1)));
            }
        } catch (IOException | NumberFormatException e) {
            // unknown
        }
        return OptionalLong.empty();
    }
}
