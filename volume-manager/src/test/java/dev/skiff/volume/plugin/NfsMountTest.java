package dev.skiff.volume.plugin;

import dev.skiff.volume.VolumeException;
import dev.skiff.volume.block.Commands;
import dev.skiff.volume.mount.LinuxMounter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class NfsMountTest {
    @TempDir
    Path tmp;

    @Test
    void commandCarriesTheOptionsAndReadOnly() {
        Path mount = Path.of("/bin/mount");
        Path target = Path.of("/var/lib/kubelet/pods/u/volumes/kubernetes.io~nfs/data");
        assertEquals(List.of("/bin/mount", "-t", "nfs", "nfs.example:/exports/a", target.toString()),
                NfsMount.command(mount, "nfs.example", "/exports/a", target, List.of(), false));
        assertEquals(List.of("/bin/mount", "-t", "nfs", "-o", "nfsvers=4.1,hard,ro", "10.0.0.5:/x", target.toString()),
                NfsMount.command(mount, "10.0.0.5", "/x", target, List.of("nfsvers=4.1", "hard"), true));
        assertEquals(List.of("/bin/mount", "-t", "nfs", "-o", "ro", "s:/x", target.toString()),
                NfsMount.command(mount, "s", "/x", target, List.of("ro"), true), "ro only once");
    }

    @Test
    void aMissingServerOrPathIsRefused() {
        VolumeException e = assertThrows(VolumeException.class,
                () -> NfsMount.mount(new LinuxMounter(), "", "/x", tmp.resolve("v"), List.of(), false));
        assertTrue(e.getMessage().contains("server and path are required"), e.getMessage());
    }

    @Test
    void withoutMountNfsTheErrorSaysWhatToInstall() {
        assumeTrue(Commands.find("mount.nfs").isEmpty(), "mount.nfs is installed here");
        VolumeException e = assertThrows(VolumeException.class,
                () -> NfsMount.mount(new LinuxMounter(), "nfs.example", "/x", tmp.resolve("v"), List.of(), false));
        assertTrue(e.getMessage().contains("mount.nfs is not installed") && e.getMessage().contains("nfs-common"),
                e.getMessage());
    }
}
