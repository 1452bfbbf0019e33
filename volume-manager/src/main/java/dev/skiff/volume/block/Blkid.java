package dev.skiff.volume.block;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What is on a device, from {@code blkid -p} (a low-level probe that reads the device itself, bypassing blkid's
 * cache). As upstream's mount-utils does, it asks for TYPE and PTTYPE: a device with a partition table but no
 * filesystem is not blank and must never be formatted.
 */
public final class Blkid {
    /** blkid's exit code when the probe found nothing it could identify. */
    static final int EXIT_NOTHING_FOUND = 2;

    private final Duration timeout;

    public Blkid() {
        this(Duration.ofSeconds(30));
    }

    public Blkid(Duration timeout) {
        this.timeout = timeout;
    }

    /** What a probe found: a filesystem type and/or a partition-table type; both empty on a blank device. */
    public record Probe(Optional<String> fsType, Optional<String> partitionTableType) {
        public static final Probe BLANK = new Probe(Optional.empty(), Optional.empty());

        /** True when nothing was found: the only state in which formatting cannot destroy data. */
        public boolean isBlank() {
            return fsType.isEmpty() && partitionTableType.isEmpty();
        }

        /** For logs: "ext4", "partition table dos", or "nothing". */
        public String describe() {
            if (fsType.isPresent()) {
                return fsType.get();
            }
            return partitionTableType.map(t -> "partition table " + t).orElse("nothing");
        }
    }

    /** The filesystem type on {@code device} ("ext4", "xfs", ...), empty when it has none. */
    public Optional<String> fsType(Path device) throws BlockDeviceException {
        return probe(device).fsType();
    }

    /** Probes {@code device}; exit code 2 means a blank device, any other failure throws. */
    public Probe probe(Path device) throws BlockDeviceException {
        Commands.Result r = Commands.run(List.of(Commands.require("blkid").toString(), "-p", "-s", "TYPE",
                "-s", "PTTYPE", "-o", "export", device.toString()), timeout);
        if (r.exitCode() == EXIT_NOTHING_FOUND) {
            return Probe.BLANK;
        }
        if (r.exitCode() != 0) {
            throw new BlockDeviceException("cannot probe " + device + ": " + r.describe());
        }
        return parseExport(r.stdout());
    }

    /** blkid's {@code -o export} form: KEY=VALUE lines. */
    static Probe parseExport(String stdout) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : stdout.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                values.put(line.substring(0, eq).strip(), unescape(line.substring(eq + 1).strip()));
            }
        }
        return new Probe(nonEmpty(values.get("TYPE")), nonEmpty(values.get("PTTYPE")));
    }

    /** export mode escapes unsafe characters with backslashes. */
    private static String unescape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '\\' && i + 1 < s.length()) {
                ch = s.charAt(++i);
            }
            b.append(ch);
        }
        return b.toString();
    }

    private static Optional<String> nonEmpty(String s) {
        return s == null || s.isEmpty() ? Optional.empty() : Optional.of(s);
    }
}
