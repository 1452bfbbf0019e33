package dev.skiff.volume.block;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Formats a device with {@code mkfs.<fsType>}, the way upstream's formatAndMount does (ext3/ext4 with
 * {@code -F -m0}: forced since the target is a whole device, no blocks reserved for root; xfs with {@code -f}),
 * and only a blank one: a device where blkid finds a filesystem or a partition table is kept as it is.
 */
public final class Mkfs {
    private static final Logger log = LoggerFactory.getLogger(Mkfs.class);

    public static final String DEFAULT_FS_TYPE = "ext4";

    /** Filesystem type names as mkfs.* tools are named; anything else is refused before a command is built. */
    private static final Pattern FS_TYPE = Pattern.compile("[a-z0-9]+");

    private final Blkid blkid;
    private final Duration timeout;

    public Mkfs() {
        this(new Blkid(), Duration.ofMinutes(5));
    }

    public Mkfs(Blkid blkid, Duration timeout) {
        this.blkid = blkid;
        this.timeout = timeout;
    }

    /** What {@link #formatIfBlank} did: the filesystem now on the device and whether it was made just now. */
    public record Outcome(String fsType, boolean formatted) {
    }

    /** True when {@code mkfs.xfs} is installed. */
    public static boolean xfsAvailable() {
        return Commands.find("mkfs.xfs").isPresent();
    }

    /**
     * Formats {@code device} with {@code fsType} (ext4 when null or empty) if blkid finds nothing on it. A device
     * with a filesystem is never formatted, whatever its type: the existing type is returned and the caller decides
     * whether a mismatch is an error. A device with a partition table but no filesystem is refused.
     */
    public Outcome formatIfBlank(Path device, String fsType) throws BlockDeviceException {
        String type = fsType == null || fsType.isEmpty() ? DEFAULT_FS_TYPE : fsType;
        List<String> args = arguments(type, device); // validates the type before touching the device
        Blkid.Probe probe = blkid.probe(device);
        if (probe.fsType().isPresent()) {
            String existing = probe.fsType().get();
            if (existing.equals(type)) {
                log.info("{} already has a {} filesystem; keeping it, not formatting", device, existing);
            } else {
                log.warn("{} already has a {} filesystem, not the requested {}; keeping it, not formatting",
                        device, existing, type);
            }
            return new Outcome(existing, false);
        }
        if (!probe.isBlank()) {
            throw new BlockDeviceException("refusing to format " + device + ": it holds " + probe.describe()
                    + " but no filesystem (unknown data, probably partitions)");
        }
        Path tool = Commands.require("mkfs." + type);
        List<String> command = new ArrayList<>();
        command.add(tool.toString());
        command.addAll(args);
        log.info("formatting {} as {}", device, type);
        Commands.Result r = Commands.run(command, timeout);
        if (r.exitCode() != 0) {
            throw new BlockDeviceException("cannot format " + device + " as " + type + ": " + r.describe());
        }
        log.info("formatted {} as {}", device, type);
        return new Outcome(type, true);
    }

    /** The mkfs.{@code fsType} arguments for {@code device}, as upstream's formatAndMount builds them. */
    static List<String> arguments(String fsType, Path device) throws BlockDeviceException {
        if (!FS_TYPE.matcher(fsType).matches()) {
            throw new BlockDeviceException("invalid fsType \"" + fsType + "\" for " + device);
        }
        return switch (fsType) {
            case "ext3", "ext4" -> List.of("-F", "-m0", device.toString());
            case "xfs" -> List.of("-f", device.toString());
            default -> List.of(device.toString());
        };
    }
}
