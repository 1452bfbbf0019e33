package dev.skiff.volume.plugin;

import dev.skiff.volume.VolumeException;
import dev.skiff.volume.block.Blkid;
import dev.skiff.volume.block.KernelFilesystems;
import dev.skiff.volume.block.LoopDevices;
import dev.skiff.volume.block.Mkfs;
import dev.skiff.volume.block.SparseFiles;
import dev.skiff.volume.mount.LibC;
import dev.skiff.volume.mount.LinuxMounter;
import dev.skiff.volume.mount.MountInfo;
import dev.skiff.volume.mount.MountInfoParser;
import dev.skiff.volume.mount.TestMounts;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real loop devices, mkfs.ext4, ext4 and bind mounts under a fresh temp dir; needs root. */
class PersistentClaimPluginIT {
    private static final long SIZE = 64L << 20;
    private static final String NS = "default";

    private final LinuxMounter mounter = new LinuxMounter();
    private final LoopDevices loops = new LoopDevices();
    private final Blkid blkid = new Blkid();
    private final Mkfs mkfs = new Mkfs();
    private final FakeClaims claims = new FakeClaims();
    private final List<Path> backingFiles = new ArrayList<>();
    private Path tmp;
    private Path root;
    private PersistentClaimPlugin plugin;

    @BeforeEach
    void setUp() throws IOException {
        tmp = Files.createTempDirectory("skiff-pvc-it").toRealPath();
        root = tmp.resolve("root");
        plugin = newPlugin();
    }

    @AfterEach
    void tearDown() throws IOException {
        // Mounts first, deepest first (a mounted loop device is only cleared lazily), then devices, then files.
        try {
            for (int pass = 0; pass < 5 && !mounter.mountPointsUnder(tmp).isEmpty(); pass++) {
                for (Path p : mounter.mountPointsUnder(tmp)) {
                    try {
                        mounter.unmount(p);
                    } catch (IOException e) {
                        LibC.get().umount2(p.toString(), LibC.UMOUNT_NOFOLLOW | LibC.MNT_DETACH);
                    }
                }
            }
        } finally {
            try {
                for (Path f : backingFiles) {
                    loops.detach(f);
                }
            } finally {
                TestMounts.unmountAllAndDelete(tmp);
            }
        }
    }

    @Test
    void aLoopbackVolumeIsFormattedOnceMountedOnceSharedAndReleasedByItsLastPod() throws Exception {
        Path file = backingFile("pv-a.img");
        SparseFiles.create(file, SIZE);
        claims.bind(NS, "data", localPv("pv-a", file, "ext4"));
        Path global = plugin.globalPath("pv-a");

        VolumeSpec a = spec(pod("a", "uid-a"), claimVolume("data", "data", false));
        assertEquals(podDir("uid-a").resolve("volumes/kubernetes.io~local-volume/pv-a"), a.dir(),
                "named after the PV, as upstream");
        plugin.setUp(a);
        Path device = loops.find(file).orElseThrow(() -> new AssertionError(file + " is not attached"));
        assertEquals(Optional.of("ext4"), blkid.fsType(device));
        String uuid = uuid(device);
        List<MountInfo> globals = TestMounts.entriesAt(global);
        assertEquals(1, globals.size(), "one global mount");
        assertEquals("ext4", globals.get(0).fsType());
        assertEquals(device.toString(), globals.get(0).source());
        assertEquals(1, TestMounts.entriesAt(a.dir()).size(), "pod a's bind");
        Files.writeString(a.dir().resolve("hello.txt"), "from a");
        assertEquals("from a", Files.readString(global.resolve("hello.txt")), "a's dir is the global mount");

        plugin.setUp(a); // idempotent
        assertEquals(1, TestMounts.entriesAt(a.dir()).size(), "a second setUp binds nothing more");

        VolumeSpec b = spec(pod("b", "uid-b"), claimVolume("data", "data", false));
        plugin.setUp(b);
        assertEquals("from a", Files.readString(b.dir().resolve("hello.txt")));
        assertEquals(1, TestMounts.entriesAt(global).size(), "the device is not mounted again");
        assertEquals(3, mountsOf(device).size(), "global + two binds: " + mountsOf(device));

        // A restarted kubelet (a new plugin) adopts the global mount.
        VolumeSpec c = spec(pod("c", "uid-c"), claimVolume("data", "data", false));
        newPlugin().setUp(c);
        assertEquals(1, TestMounts.entriesAt(global).size(), "the global mount is adopted, not mounted again");
        assertEquals(4, mountsOf(device).size());
        plugin.tearDown(c.dir());

        plugin.tearDown(a.dir());
        assertFalse(Files.exists(a.dir()), "a's dir is removed");
        assertTrue(mounter.isMountPoint(global), "b still uses the global mount");
        assertEquals(Optional.of(device), loops.find(file), "still attached while b uses it");
        assertEquals("from a", Files.readString(b.dir().resolve("hello.txt")));

        plugin.tearDown(b.dir());
        assertFalse(Files.exists(b.dir()));
        assertTrue(mountsOf(device).isEmpty(), "nothing mounts the device: " + mountsOf(device));
        assertFalse(Files.exists(global), "the global mount dir is removed");
        awaitDetached(file);

        // Back again: same filesystem, same data, nothing reformatted.
        plugin.setUp(a);
        Path again = loops.find(file).orElseThrow();
        assertEquals(uuid, uuid(again), "the filesystem was not remade");
        assertEquals("from a", Files.readString(a.dir().resolve("hello.txt")));
        plugin.tearDown(a.dir());
        awaitDetached(file);
        assertTrue(mounter.mountPointsUnder(tmp).isEmpty(), "nothing left mounted: " + mounter.mountPointsUnder(tmp));
    }

    @Test
    void anXfsVolumeIsFormattedAsXfs() throws Exception {
        assertTrue(Mkfs.xfsAvailable(), "mkfs.xfs is not installed: hack/install-host-deps.sh installs xfsprogs");
        Assumptions.assumeTrue(KernelFilesystems.listed("xfs"), "this kernel has no xfs filesystem (/proc/filesystems)");
        Path file = backingFile("pv-xfs.img");
        SparseFiles.create(file, 320L << 20); // mkfs.xfs wants 300 MB at least
        claims.bind(NS, "x", localPv("pv-xfs", file, "xfs"));
        VolumeSpec a = spec(pod("a", "uid-a"), claimVolume("vol", "x", false));
        plugin.setUp(a);
        assertEquals(Optional.of("xfs"), blkid.fsType(loops.find(file).orElseThrow()));
        assertEquals("xfs", TestMounts.entriesAt(plugin.globalPath("pv-xfs")).get(0).fsType());
        Files.writeString(a.dir().resolve("x.txt"), "on xfs");
        plugin.tearDown(a.dir());
        awaitDetached(file);
        assertEquals("xfs", run("blkid", "-p", "-s", "TYPE", "-o", "value", file.toString()).strip());
    }

    @Test
    void aPreformattedDeviceKeepsItsData() throws Exception {
        Path file = backingFile("pv-pre.img");
        SparseFiles.create(file, SIZE);
        Path content = Files.createDirectories(tmp.resolve("content"));
        Files.writeString(content.resolve("marker.txt"), "precious");
        run("mkfs.ext4", "-q", "-F", "-d", content.toString(), file.toString());
        String uuid = uuid(file);
        claims.bind(NS, "pre", localPv("pv-pre", file, "ext4"));

        VolumeSpec a = spec(pod("a", "uid-a"), claimVolume("vol", "pre", false));
        plugin.setUp(a);
        assertEquals("precious", Files.readString(a.dir().resolve("marker.txt")));
        assertEquals(uuid, uuid(loops.find(file).orElseThrow()), "kept, not formatted");
        plugin.tearDown(a.dir());
        awaitDetached(file);
        assertEquals(uuid, uuid(file));
    }

    @Test
    void aDirectoryBackedLocalVolumeIsBoundStraightIn() throws Exception {
        Path local = Files.createDirectories(tmp.resolve("local-dir"));
        Files.writeString(local.resolve("in-dir.txt"), "host");
        claims.bind(NS, "dir", new PersistentVolumeBuilder().withNewMetadata().withName("pv-dir").endMetadata()
                .withNewSpec().withNewLocal().withPath(local.toString()).endLocal().endSpec().build());

        VolumeSpec a = spec(pod("a", "uid-a"), claimVolume("vol", "dir", false));
        assertEquals(podDir("uid-a").resolve("volumes/kubernetes.io~local-volume/pv-dir"), a.dir());
        plugin.setUp(a);
        assertEquals("host", Files.readString(a.dir().resolve("in-dir.txt")));
        assertEquals(1, TestMounts.entriesAt(a.dir()).size(), "bound, not copied");
        assertEquals(Files.getAttribute(local, "unix:ino"), Files.getAttribute(a.dir(), "unix:ino"),
                "the pod's dir is the local dir");
        Files.writeString(a.dir().resolve("from-pod.txt"), "pod");
        assertFalse(Files.exists(plugin.globalPath("pv-dir")), "no global mount for a directory");

        plugin.tearDown(a.dir());
        assertFalse(Files.exists(a.dir()));
        assertEquals("pod", Files.readString(local.resolve("from-pod.txt")), "the host dir keeps what was written");
        assertEquals("host", Files.readString(local.resolve("in-dir.txt")));
    }

    @Test
    void aHostPathVolumeIsBoundStraightIn() throws Exception {
        Path host = Files.createDirectories(tmp.resolve("host-dir"));
        Files.writeString(host.resolve("h.txt"), "h");
        claims.bind(NS, "hp", new PersistentVolumeBuilder().withNewMetadata().withName("pv-hp").endMetadata()
                .withNewSpec().withNewHostPath().withPath(host.toString()).withType("Directory").endHostPath()
                .endSpec().build());
        VolumeSpec a = spec(pod("a", "uid-a"), claimVolume("vol", "hp", true));
        plugin.setUp(a);
        assertEquals(host, plugin.path(a), "containers bind the host's path itself, as upstream's hostPath plugin");
        assertTrue(plugin.readOnly(a), "a read-only claim is read-only in the containers");
        assertFalse(Files.exists(podDir("uid-a")), "nothing made or mounted under the pod");
        assertTrue(mounter.mountPointsUnder(tmp).isEmpty(), "nothing mounted: " + mounter.mountPointsUnder(tmp));
        plugin.tearDown(a.dir());
        assertEquals("h", Files.readString(host.resolve("h.txt")));

        claims.bind(NS, "missing", new PersistentVolumeBuilder().withNewMetadata().withName("pv-missing").endMetadata()
                .withNewSpec().withNewHostPath().withPath(tmp.resolve("nope").toString()).withType("Directory")
                .endHostPath().endSpec().build());
        VolumeException e = assertThrows(VolumeException.class,
                () -> plugin.setUp(spec(pod("a", "uid-a"), claimVolume("vol", "missing", false))));
        assertTrue(e.getMessage().contains("is not a directory"), e.getMessage());
    }

    @Test
    void anNfsVolumeIsNamedAfterItsPvUnderTheNfsPluginDir() throws Exception {
        claims.bind(NS, "share", new PersistentVolumeBuilder().withNewMetadata().withName("pv-nfs").endMetadata()
                .withNewSpec().withNewNfs().withServer("127.0.0.1").withPath("/export").endNfs().endSpec().build());
        assertEquals(podDir("uid-a").resolve("volumes/kubernetes.io~nfs/pv-nfs"),
                spec(pod("a", "uid-a"), claimVolume("vol", "share", false)).dir());
    }

    @Test
    void aVolumeOfAnotherNodeIsRefusedBeforeAnythingIsAttached() throws Exception {
        Path file = backingFile("pv-far.img");
        SparseFiles.create(file, SIZE);
        PersistentVolume pv = localPv("pv-far", file, "ext4");
        pv.getSpec().setNodeAffinity(dev.skiff.volume.pv.NodeAffinities.onHost("node-b"));
        claims.bind(NS, "far", pv);
        claims.nodeLabels = Map.of("kubernetes.io/hostname", "node-a");
        VolumeException e = assertThrows(VolumeException.class,
                () -> plugin.setUp(spec(pod("a", "uid-a"), claimVolume("vol", "far", false))));
        assertEquals("no matching NodeSelectorTerms", e.getMessage());
        assertEquals(Optional.of("MountVolume.NodeAffinity check failed"), e.operation());
        assertTrue(loops.find(file).isEmpty(), "attached anyway");
        assertTrue(mounter.mountPointsUnder(tmp).isEmpty());

        claims.nodeLabels = Map.of("kubernetes.io/hostname", "node-b");
        VolumeSpec a = spec(pod("a", "uid-a"), claimVolume("vol", "far", false));
        plugin.setUp(a);
        plugin.tearDown(a.dir());
        awaitDetached(file);
    }

    @Test
    void anUnboundOrMissingClaimFailsWithTheReason() throws Exception {
        claims.pending(NS, "waiting");
        VolumeException missing = assertThrows(VolumeException.class,
                () -> plugin.setUp(spec(pod("a", "uid-a"), claimVolume("vol", "nope", false))));
        assertEquals("persistentvolumeclaim \"nope\" not found", missing.getMessage());
        VolumeException pending = assertThrows(VolumeException.class,
                () -> plugin.setUp(spec(pod("a", "uid-a"), claimVolume("vol", "waiting", false))));
        assertEquals("persistentvolumeclaim \"waiting\" is not bound", pending.getMessage());
        assertTrue(mounter.mountPointsUnder(tmp).isEmpty());
    }

    @Test
    void aBlockVolumeIsTheLoopDeviceItselfNeverFormattedAndDetachedWithItsLastPod() throws Exception {
        Path file = backingFile("pv-blk.img");
        SparseFiles.create(file, SIZE);
        PersistentVolume pv = localPv("pv-blk", file, null);
        pv.getSpec().setVolumeMode("Block");
        claims.bind(NS, "blk", pv);
        VolumeSpec a = spec(pod("a", "uid-a"), claimVolume("raw", "blk", false));
        assertEquals(podDir("uid-a").resolve("volumeDevices/kubernetes.io~local-volume/pv-blk"), a.dir(),
                "upstream's pod device map path");
        plugin.setUp(a);
        plugin.setUp(a); // idempotent
        assertTrue(Files.isSymbolicLink(a.dir()), "the pod's volume path links the device");
        Path device = plugin.path(a);
        assertEquals(loops.find(file).orElseThrow(), device);
        assertEquals(0060000, (Integer) Files.getAttribute(device, "unix:mode") & 0170000, device + " is not a block device");
        assertTrue(blkid.fsType(device).isEmpty(), "a Block volume was formatted");
        assertTrue(mountsOf(device).isEmpty(), "a Block volume was mounted");

        VolumeSpec b = spec(pod("b", "uid-b"), claimVolume("raw", "blk", false));
        plugin.setUp(b);
        plugin.tearDown(a.dir());
        assertTrue(loops.find(file).isPresent(), "detached while pod b still links it");
        plugin.tearDown(b.dir());
        assertFalse(Files.exists(b.dir(), java.nio.file.LinkOption.NOFOLLOW_LINKS));
        awaitDetached(file);
    }

    @Test
    void aReadOnlyClaimCannotBeWrittenThroughThePodsDir() throws Exception {
        Path file = backingFile("pv-ro.img");
        SparseFiles.create(file, SIZE);
        claims.bind(NS, "ro", localPv("pv-ro", file, null));
        VolumeSpec a = spec(pod("a", "uid-a"), claimVolume("vol", "ro", true));
        plugin.setUp(a);
        assertTrue(TestMounts.entriesAt(a.dir()).get(0).readOnly(), "the bind is read-only");
        assertThrows(IOException.class, () -> Files.writeString(a.dir().resolve("x.txt"), "no"));
        assertFalse(Files.exists(plugin.globalPath("pv-ro").resolve("x.txt")));
        plugin.tearDown(a.dir());
        awaitDetached(file);
    }

    // ---- helpers

    private PersistentClaimPlugin newPlugin() {
        return new PersistentClaimPlugin(new VolumeDirs(mounter), claims, loops, blkid, mkfs, root);
    }

    private Path backingFile(String name) {
        Path f = tmp.resolve(name);
        backingFiles.add(f);
        return f;
    }

    /** The volume as the reconciler hands it to the plugin: resolved to its PV-named dir. */
    private VolumeSpec spec(Pod pod, Volume volume) throws VolumeException {
        return plugin.resolve(new VolumeSpec(pod, volume, root.resolve("pods").resolve(pod.getMetadata().getUid())
                .resolve("volumes").resolve("kubernetes.io~local-volume").resolve(volume.getName())));
    }

    private Path podDir(String uid) {
        return root.resolve("pods").resolve(uid);
    }

    private static Pod pod(String name, String uid) {
        return new PodBuilder().withNewMetadata().withNamespace(NS).withName(name).withUid(uid).endMetadata()
                .withNewSpec().endSpec().build();
    }

    private static Volume claimVolume(String name, String claim, boolean readOnly) {
        return new VolumeBuilder().withName(name).withNewPersistentVolumeClaim().withClaimName(claim)
                .withReadOnly(readOnly).endPersistentVolumeClaim().build();
    }

    /** A PV as the loopback provisioner makes it: local.path is the backing file. */
    private static PersistentVolume localPv(String name, Path file, String fsType) {
        return new PersistentVolumeBuilder().withNewMetadata().withName(name)
                .addToAnnotations("skiff.dev/backing-file", file.toString()).endMetadata()
                .withNewSpec().withVolumeMode("Filesystem").withNewLocal().withPath(file.toString())
                .withFsType(fsType).endLocal().endSpec().build();
    }

    /** Every mount in this namespace whose st_dev is {@code device}'s. */
    private static List<MountInfo> mountsOf(Path device) throws IOException {
        long rdev = (Long) Files.getAttribute(device, "unix:rdev");
        long major = (rdev >>> 8) & 0xfff;
        long minor = (rdev & 0xff) | ((rdev >>> 12) & 0xfff00);
        return MountInfoParser.read(Path.of("/proc/self/mountinfo")).stream()
                .filter(m -> m.major() == major && m.minor() == minor).toList();
    }

    private void awaitDetached(Path file) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (loops.find(file).isPresent() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(Optional.empty(), loops.find(file), file + " is detached");
    }

    private static String uuid(Path deviceOrFile) throws Exception {
        String uuid = run("blkid", "-p", "-s", "UUID", "-o", "value", deviceOrFile.toString()).strip();
        assertNotEquals("", uuid, "blkid finds a UUID on " + deviceOrFile);
        return uuid;
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " timed out");
        }
        String s = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + s);
        return s;
    }

    /** The PV controller's answer, from a map: claims that are bound, and claims that exist but are Pending. */
    private static final class FakeClaims implements ClaimVolumes {
        private final Map<String, PersistentVolume> bound = new HashMap<>();
        private final Set<String> pending = new HashSet<>();
        Map<String, String> nodeLabels = Map.of();

        @Override
        public Map<String, String> nodeLabels() {
            return nodeLabels;
        }

        void bind(String ns, String claim, PersistentVolume pv) {
            bound.put(ns + "/" + claim, pv);
        }

        void pending(String ns, String claim) {
            pending.add(ns + "/" + claim);
        }

        @Override
        public Optional<PersistentVolume> boundVolume(String namespace, String claimName) {
            return Optional.ofNullable(bound.get(namespace + "/" + claimName));
        }

        @Override
        public String whyNotBound(String namespace, String claimName) {
            return pending.contains(namespace + "/" + claimName)
                    ? "persistentvolumeclaim \"" + claimName + "\" is not bound"
                    : "persistentvolumeclaim \"" + claimName + "\" not found";
        }
    }
}
