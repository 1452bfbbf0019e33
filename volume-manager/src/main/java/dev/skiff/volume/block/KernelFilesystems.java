package dev.skiff.volume.block;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The filesystem types the running kernel supports now ({@code /proc/filesystems}), to explain a failed mount. */
public final class KernelFilesystems {
    private static final Path PROC_FILESYSTEMS = Path.of("/proc/filesystems");

    private KernelFilesystems() {
    }

    /**
     * True when {@code fsType} is listed (or the list cannot be read: then nothing is claimed). A type not listed may
     * still come with a module the kernel loads at mount time; this is for the message once a mount has failed.
     */
    public static boolean listed(String fsType) {
        try {
            return Files.readAllLines(PROC_FILESYSTEMS).stream()
                    .map(l -> l.substring(l.lastIndexOf('\t') + 1).strip())
                    .anyMatch(fsType::equals);
        } catch (IOException e) {
            return true;
        }
    }
}
