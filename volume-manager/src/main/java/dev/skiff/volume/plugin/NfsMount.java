package dev.skiff.volume.plugin;

import dev.skiff.volume.VolumeException;
import dev.skiff.volume.block.BlockDeviceException;
import dev.skiff.volume.block.Commands;
import dev.skiff.volume.mount.MountException;
import dev.skiff.volume.mount.Mounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An NFS export mounted with {@code mount -t nfs} (upstream's nfs plugin: the kernel client needs mount.nfs for the
 * protocol negotiation and name resolution, so this one mount goes through the tool, not mount(2)).
 */
final class NfsMount {
    private static final Logger log = LoggerFactory.getLogger(NfsMount.class);
    /** An unreachable server makes mount.nfs retry for minutes: give up sooner, and say so. */
    static final Duration TIMEOUT = Duration.ofMinutes(2);

    private NfsMount() {
    }

    /** The {@code mount} command line for {@code server:path} at {@code target} (options as the PV or volume give them). */
    static List<String> command(Path mountTool, String server, String path, Path target, List<String> options,
                                boolean readOnly) {
        List<String> opts = new ArrayList<>(options);
        if (readOnly && !opts.contains("ro")) {
            opts.add("ro");
        }
        List<String> cmd = new ArrayList<>(List.of(mountTool.toString(), "-t", "nfs"));
        if (!opts.isEmpty()) {
            cmd.add("-o");
            cmd.add(String.join(",", opts));
        }
        cmd.add(server + ":" + path);
        cmd.add(target.toString());
        return cmd;
    }

    /** Where {@code mount.nfs} (the helper mount calls) and {@code mount} are; empty when not installed. */
    record Tools(Optional<Path> mountNfs, Optional<Path> mount) {
        static Tools onThisHost() {
            return new Tools(Commands.find("mount.nfs"), Commands.find("mount"));
        }
    }

    /** Mounts the export at {@code target} unless something is mounted there already (a restart adopts it). */
    static void mount(Mounter mounter, String server, String path, Path target, List<String> options, boolean readOnly)
            throws VolumeException {
        mount(mounter, Tools.onThisHost(), server, path, target, options, readOnly);
    }

    static void mount(Mounter mounter, Tools tools, String server, String path, Path target, List<String> options,
                      boolean readOnly) throws VolumeException {
        if (server == null || server.isEmpty() || path == null || path.isEmpty()) {
            throw new VolumeException("nfs: server and path are required");
        }
        try {
            VolumeDirs.ensureDir(target, 0750);
            if (mounter.isMountPoint(target)) {
                return;
            }
            if (tools.mountNfs().isEmpty()) {
                throw new VolumeException("cannot mount nfs " + server + ":" + path + ": mount.nfs is not installed"
                        + " (Debian: apt-get install nfs-common)");
            }
            Path mountTool = tools.mount().orElseThrow(() -> new VolumeException("cannot mount nfs " + server + ":"
                    + path + ": mount is not installed (Debian: apt-get install mount)"));
            Commands.Result r = Commands.run(command(mountTool, server, path, target, options, readOnly), TIMEOUT);
            if (r.exitCode() != 0) {
                throw new VolumeException("mount -t nfs " + server + ":" + path + " failed (exit " + r.exitCode() + "): "
                        + r.output());
            }
            log.info("mounted nfs {}:{} at {}{}", server, path, target, readOnly ? " (read-only)" : "");
        } catch (MountException | BlockDeviceException e) {
            throw new VolumeException("cannot mount nfs " + server + ":" + path + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new VolumeException("cannot make the nfs volume directory: " + e.getMessage(), e);
        }
    }

    /** True when the running kernel has an nfs client ({@code /proc/filesystems}). */
    static boolean kernelSupportsNfs() {
        try {
            return Files.readAllLines(Path.of("/proc/filesystems")).stream().anyMatch(l -> l.trim().endsWith("nfs"));
        } catch (IOException e) {
            return false;
        }
    }
}
