package dev.skiff.volume.plugin;

import dev.skiff.volume.VolumeException;
import dev.skiff.volume.VolumePaths;
import dev.skiff.volume.mount.LinuxMounter;
import dev.skiff.volume.mount.MountInfo;
import dev.skiff.volume.mount.TestMounts;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A secret volume on a real tmpfs: mounted once, files with their modes, unmounted and removed at teardown. */
class SecretPluginIT {
    private Path root;
    private VolumeSpec spec;
    private MapObjects objects;
    private SecretPlugin plugin;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createTempDirectory("skiff-secret-it").toRealPath();
        Pod pod = new PodBuilder().withNewMetadata().withName("web").withNamespace("shop").withUid("uid-secret-it")
                .endMetadata().withNewSpec().endSpec().build();
        Volume volume = new VolumeBuilder().withName("creds").withNewSecret().withSecretName("db").withDefaultMode(0400)
                .withItems(new KeyToPath("user", null, "user", null), new KeyToPath("pass", 0440, "nested/pass", null))
                .endSecret().build();
        Path dir = new VolumePaths(root).volumeDir("uid-secret-it", SecretPlugin.NAME, "creds");
        spec = new VolumeSpec(pod, volume, dir);
        objects = new MapObjects().secret("shop", "db", Map.of("user", "admin", "pass", "s3cret"));
        plugin = new SecretPlugin(new VolumeDirs(new LinuxMounter()), objects);
    }

    @AfterEach
    void cleanUp() throws IOException {
        TestMounts.unmountAllAndDelete(root);
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    private MountInfo onlyMount() throws IOException {
        List<MountInfo> at = TestMounts.entriesAt(spec.dir());
        assertEquals(1, at.size(), "exactly one mount at the volume dir: " + at);
        return at.get(0);
    }

    @Test
    void filesLiveOnOneTmpfsWithTheirModesAndTeardownLeavesNothing() throws Exception {
        assertTrue(plugin.readOnly());
        assertTrue(plugin.requiresRemount());

        plugin.setUp(spec);
        MountInfo mount = onlyMount();
        assertEquals("tmpfs", mount.fsType());
        assertEquals("admin", Files.readString(spec.dir().resolve("user")));
        assertEquals("s3cret", Files.readString(spec.dir().resolve("nested/pass")));
        Path ts = spec.dir().resolve(Files.readSymbolicLink(spec.dir().resolve("..data")));
        assertEquals("r--------", mode(ts.resolve("user")));
        assertEquals("r--r-----", mode(ts.resolve("nested/pass")));
        assertEquals("rwxr-xr-x", mode(ts));
        Object tmpfsDev = Files.getAttribute(spec.dir(), "unix:dev");
        assertEquals(tmpfsDev, Files.getAttribute(ts.resolve("user"), "unix:dev"), "the bytes are on the tmpfs");
        assertFalse(tmpfsDev.equals(Files.getAttribute(root, "unix:dev")), "not on the disk of the root dir");

        // a second setUp keeps the mount and the files
        Path tsBefore = Files.readSymbolicLink(spec.dir().resolve("..data"));
        plugin.setUp(spec);
        assertEquals(mount.mountId(), onlyMount().mountId());
        assertEquals(tsBefore, Files.readSymbolicLink(spec.dir().resolve("..data")));

        // a changed secret is rewritten in place, on the same mount
        objects.secret("shop", "db", Map.of("user", "admin", "pass", "rotated"));
        plugin.setUp(spec);
        assertEquals(mount.mountId(), onlyMount().mountId());
        assertEquals("rotated", Files.readString(spec.dir().resolve("nested/pass")));
        assertFalse(Files.exists(spec.dir().resolve(tsBefore), LinkOption.NOFOLLOW_LINKS));

        plugin.tearDown(spec.dir());
        assertEquals(List.of(), TestMounts.entriesAt(spec.dir()));
        assertFalse(Files.exists(spec.dir(), LinkOption.NOFOLLOW_LINKS));
        plugin.tearDown(spec.dir()); // and again: already gone
    }

    @Test
    void aMissingSecretMountsNothing() throws Exception {
        objects = new MapObjects();
        plugin = new SecretPlugin(new VolumeDirs(new LinuxMounter()), objects);
        VolumeException e = assertThrows(VolumeException.class, () -> plugin.setUp(spec));
        assertEquals("secret \"db\" not found", e.getMessage());
        assertEquals(List.of(), TestMounts.entriesAt(spec.dir()));
    }
}
