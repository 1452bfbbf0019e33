package dev.skiff.kubelet.stats;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Device names for cAdvisor's {@code device} label: a block device's {@code major:minor} as {@code /dev/<DEVNAME>}
 * (from /sys/dev/block), and the device a directory's filesystem is mounted from (longest mount point in
 * /proc/self/mountinfo). Both cached: devices do not change names while mounted.
 */
final class DeviceNames {
    private final Path sysRoot;
    private final Path mountInfo;
    private final Map<String, String> byNumber = new ConcurrentHashMap<>();
    private final Map<Path, String> byPath = new ConcurrentHashMap<>();

    DeviceNames(Path sysRoot, Path mountInfo) {
        this.sysRoot = sysRoot;
        this.mountInfo = mountInfo;
    }

    DeviceNames() {
        this(Path.of("/sys"), Path.of("/proc/self/mountinfo"));
    }

    String ofNumber(String majorMinor) {
        return byNumber.computeIfAbsent(majorMinor, mm -> {
            try {
                for (String line : Files.readAllLines(sysRoot.resolve("dev/block").resolve(mm).resolve("uevent"))) {
                    if (line.startsWith("DEVNAME=")) {
                        return "/dev/" + line.substring("DEVNAME=".length());
                    }
                }
            } catch (IOException | RuntimeException e) {
                // unknown: keep the number
            }
            return mm;
        });
    }

    String ofPath(Path dir) {
        return byPath.computeIfAbsent(dir, d -> {
            String best = "", source = "";
            try {
                for (String line : Files.readAllLines(mountInfo)) {
                    String[] f = line.split(" ");
                    int sep = java.util.Arrays.asList(f).indexOf("-");
                    if (f.length < 5 || sep < 0 || sep + 2 >= f.length) {
                        continue;
                    }
                    String point = f[4];
                    String p = d.toString();
                    if ((p.equals(point) || p.startsWith(point.endsWith("/") ? point : point + "/")) && point.length() >= best.length()) {
                        best = point;
                        source = f[sep + 2];
                    }
                }
            } catch (IOException e) {
                // unknown
            }
            return source;
        });
    }
}
