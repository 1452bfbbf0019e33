package dev.skiff.volume.block;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What kind of file a path is, as far as block volumes care. */
public final class BlockDevices {
    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;

    private BlockDevices() {
    }

    /** True for a block device node (symlinks followed, as stat(2)). */
    public static boolean isBlockDevice(Path p) throws IOException {
        return ((Integer) Files.getAttribute(p, "unix:mode") & S_IFMT) == S_IFBLK;
    }
}
