package dev.skiff.volume.plugin;

import dev.skiff.volume.block.Commands;
import dev.skiff.volume.mount.LinuxMounter;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * An nfs volume against a real export, named by SKIFF_TEST_NFS_EXPORT ({@code server:/path}, writable). Skipped, with
 * the reason, where the kernel has no nfs client, mount.nfs is missing or no export is given: the CI machine's kernel
 * has no nfs client, so there {@link NfsMountTest} holds the way up to the kernel (the mount command it runs, its
 * errors, adoption) instead.
 */
class NfsPluginIT {
    @TempDir
    Path tmp;

    @Test
    void mountsWritesAndUnmountsAnExport() throws Exception {
        assumeTrue(NfsMount.kernelSupportsNfs(), "the kernel has no nfs filesystem (/proc/filesystems)");
        assumeTrue(Commands.find("mount.nfs").isPresent(), "mount.nfs is not installed (nfs-common)");
        String export = System.getenv("SKIFF_TEST_NFS_EXPORT");
        assumeTrue(export != null && export.contains(":/"), "SKIFF_TEST_NFS_EXPORT=server:/path is not set");
        String server = export.substring(0, export.indexOf(":/"));
        String path = export.substring(export.indexOf(":/") + 1);

        LinuxMounter mounter = new LinuxMounter();
        NfsPlugin plugin = new NfsPlugin(new VolumeDirs(mounter));
        Volume v = new VolumeBuilder().withName("share").withNewNfs().withServer(server).withPath(path).endNfs().build();
        Pod pod = new PodBuilder().withNewMetadata().withNamespace("default").withName("p").withUid("u").endMetadata()
                .withNewSpec().withVolumes(v).endSpec().build();
        Path dir = tmp.resolve("pods/u/volumes/kubernetes.io~nfs/share");
        VolumeSpec spec = new VolumeSpec(pod, v, dir);
        try {
            plugin.setUp(spec);
            assertTrue(mounter.isMountPoint(dir));
            plugin.setUp(spec); // adopted, not mounted twice
            String name = "skiff-it-" + UUID.randomUUID();
            Files.writeString(dir.resolve(name), "over nfs");
            assertEquals("over nfs", Files.readString(dir.resolve(name)));
            Files.delete(dir.resolve(name));
        } finally {
            plugin.tearDown(dir);
        }
        assertFalse(Files.exists(dir));
    }
}
