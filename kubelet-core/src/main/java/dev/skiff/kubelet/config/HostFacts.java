package dev.skiff.kubelet.config;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What the settings need to know about the machine, kept apart so tests can supply it.
 *
 * @param hostname the kernel's host name (Go's {@code os.Hostname})
 * @param os       Go's GOOS spelling, e.g. {@code linux}
 * @param arch     Go's GOARCH spelling, e.g. {@code amd64}, {@code arm64}
 */
public record HostFacts(String hostname, String os, String arch) {

    /** This machine: /proc/sys/kernel/hostname (what uname reports), os.name and os.arch in Go's spelling. */
    public static HostFacts current() {
        return new HostFacts(kernelHostname(), goos(System.getProperty("os.name", "")),
                goarch(System.getProperty("os.arch", "")));
    }

    /** Go's GOARCH for a JVM {@code os.arch}; unknown names pass through lowercased. */
    public static String goarch(String osArch) {
        String a = osArch.toLowerCase(Locale.ROOT);
        return switch (a) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            case "x86", "i386", "i486", "i586", "i686" -> "386";
            case "arm", "arm32" -> "arm";
            case "ppc64le" -> "ppc64le";
            case "s390x" -> "s390x";
            case "riscv64" -> "riscv64";
            default -> a;
        };
    }

    static String goos(String osName) {
        String o = osName.toLowerCase(Locale.ROOT);
        if (o.startsWith("linux")) {
            return "linux";
        }
        if (o.startsWith("mac") || o.startsWith("darwin")) {
            return "darwin";
        }
        if (o.startsWith("windows")) {
            return "windows";
        }
        return o.replace(" ", "");
    }

    private static String kernelHostname() {
        try {
            String h = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            if (!h.isEmpty()) {
                return h;
            }
        } catch (IOException | SecurityException e) {
            // not Linux, or no /proc: fall through
        }
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env.strip();
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "";
        }
    }
}
