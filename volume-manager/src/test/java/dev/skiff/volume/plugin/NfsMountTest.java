package dev.skiff.volume.plugin;

import dev.skiff.volume.VolumeException;
import dev.skiff.volume.testing.FakeMounter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The nfs mount up to the kernel: the command line, and a stand-in {@code mount} (a script recording its arguments)
 * run as the real one would be. This kernel has no nfs client, so {@link NfsPluginIT} cannot run here; this can.
 */
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
                () -> NfsMount.mount(new FakeMounter(), tools(0, ""), "", "/x", tmp.resolve("v"), List.of(), false));
        assertTrue(e.getMessage().contains("server and path are required"), e.getMessage());
    }

    @Test
    void withoutMountNfsTheErrorSaysWhatToInstall() throws Exception {
        NfsMount.Tools noHelper = new NfsMount.Tools(Optional.empty(), Optional.of(script("mount", 0, "")));
        VolumeException e = assertThrows(VolumeException.class,
                () -> NfsMount.mount(new FakeMounter(), noHelper, "nfs.example", "/x", tmp.resolve("v"), List.of(), false));
        assertTrue(e.getMessage().contains("mount.nfs is not installed") && e.getMessage().contains("nfs-common"),
                e.getMessage());
        assertFalse(Files.exists(tmp.resolve("mount.args")), "mount was not run");
    }

    @Test
    void mountRunsWithTheExportTheOptionsAndTheTargetMadeFirst() throws Exception {
        Path target = tmp.resolve("pods/u/volumes/kubernetes.io~nfs/share");
        NfsMount.mount(new FakeMounter(), tools(0, ""), "nfs.example", "/exports/a", target,
                List.of("nfsvers=4.1", "hard"), true);
        assertEquals(List.of("-t", "nfs", "-o", "nfsvers=4.1,hard,ro", "nfs.example:/exports/a", target.toString()),
                Files.readAllLines(tmp.resolve("mount.args")));
        assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
    }

    @Test
    void aFailedMountSaysTheExitCodeAndWhatMountSaid() throws Exception {
        VolumeException e = assertThrows(VolumeException.class, () -> NfsMount.mount(new FakeMounter(),
                tools(32, "mount.nfs: access denied by server while mounting nfs.example:/exports/a"),
                "nfs.example", "/exports/a", tmp.resolve("v"), List.of(), false));
        assertEquals("mount -t nfs nfs.example:/exports/a failed (exit 32): "
                + "mount.nfs: access denied by server while mounting nfs.example:/exports/a", e.getMessage());
    }

    @Test
    void anExportAlreadyMountedThereIsAdopted() throws Exception {
        Path target = tmp.resolve("v");
        NfsMount.mount(new FakeMounter().mounted(target), tools(0, ""), "nfs.example", "/x", target, List.of(), false);
        assertFalse(Files.exists(tmp.resolve("mount.args")), "mounted again over the adopted mount");
    }

    /** mount.nfs present; {@code mount} a script that records its arguments, prints {@code stderr} and exits {@code exit}. */
    private NfsMount.Tools tools(int exit, String stderr) throws Exception {
        return new NfsMount.Tools(Optional.of(script("mount.nfs", 0, "")), Optional.of(script("mount", exit, stderr)));
    }

    private Path script(String name, int exit, String stderr) throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path script = bin.resolve(name);
        Files.writeString(script, "#!/bin/sh\nprintf '%s\\n' \"$@\" > '" + tmp.resolve(name + ".args") + "'\n"
                + (stderr.isEmpty() ? "" : "echo '" + stderr + "' >&2\n") + "exit " + exit + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }
}
