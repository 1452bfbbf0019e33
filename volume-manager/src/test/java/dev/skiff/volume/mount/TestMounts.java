package dev.skiff.volume.mount;

import com.sun.jna.LastErrorException;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/** Test clean-up: every mount under a temp dir is undone deepest first, then the dir is deleted. */
public final class TestMounts {
    private TestMounts() {
    }

    /** Unmounts everything at or below {@code dir} (lazily when busy), then deletes it; refuses while mounted. */
    public static void unmountAllAndDelete(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        LinuxMounter mounter = new LinuxMounter();
        for (int pass = 0; pass < 20; pass++) {
            List<Path> under = mounter.mountPointsUnder(dir);
            if (under.isEmpty()) {
                break;
            }
            for (Path p : under) {
                try {
                    LibC.get().umount2(p.toString(), LibC.UMOUNT_NOFOLLOW);
                } catch (LastErrorException e) {
                    try {
                        LibC.get().umount2(p.toString(), LibC.UMOUNT_NOFOLLOW | LibC.MNT_DETACH);
                    } catch (LastErrorException ignored) {
                        // already gone with its parent
                    }
                }
            }
        }
        List<Path> left = mounter.mountPointsUnder(dir);
        if (!left.isEmpty()) {
            throw new IOException("still mounted, not deleting " + dir + ": " + left);
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** The mountinfo entries whose mount point is exactly {@code path}, oldest first. */
    public static List<MountInfo> entriesAt(Path path) throws IOException {
        String p = path.toString();
        return MountInfoParser.read(Path.of("/proc/self/mountinfo")).stream()
                .filter(m -> m.mountPoint().equals(p)).toList();
    }
}
