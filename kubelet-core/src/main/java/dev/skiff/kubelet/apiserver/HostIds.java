package dev.skiff.kubelet.apiserver;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The ids and names a Node's nodeInfo carries, read as upstream's cadvisor reads them: kernel release, the OS image's
 * PRETTY_NAME, /etc/machine-id, the boot id and the DMI product uuid (empty when unreadable, as in a container).
 */
public record HostIds(String kernelVersion, String osImage, String machineId, String bootId, String systemUuid) {
    public static HostIds read(Path root) {
        return new HostIds(firstLine(root.resolve("proc/sys/kernel/osrelease")), prettyName(root.resolve("etc/os-release")),
                firstLine(root.resolve("etc/machine-id")), firstLine(root.resolve("proc/sys/kernel/random/boot_id")),
                firstLine(root.resolve("sys/class/dmi/id/product_uuid")));
    }

    static String prettyName(Path osRelease) {
        try {
            for (String line : Files.readAllLines(osRelease)) {
                if (line.startsWith("PRETTY_NAME=")) {
                    String v = line.substring("PRETTY_NAME=".length()).strip();
                    return v.length() >= 2 && (v.startsWith("\"") || v.startsWith("'")) ? v.substring(1, v.length() - 1) : v;
                }
            }
        } catch (IOException | RuntimeException e) {
            // unknown
        }
        return "";
    }

    private static String firstLine(Path file) {
        try {
            String s = Files.readString(file).strip();
            int nl = s.indexOf('\n');
            return nl < 0 ? s : s.substring(0, nl);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
