package dev.skiff.volume.plugin;

import dev.skiff.volume.VolumeException;
import dev.skiff.volume.VolumePaths;
import dev.skiff.volume.block.BlockDeviceException;
import dev.skiff.volume.block.Blkid;
import dev.skiff.volume.block.LoopDevices;
import dev.skiff.volume.block.Mkfs;
import dev.skiff.volume.mount.MountException;
import dev.skiff.volume.mount.MountInfo;
import dev.skiff.volume.mount.MountInfoParser;
import dev.skiff.volume.mount.Mounter;
import io.fabric8.kubernetes.api.model.HostPathVolumeSource;
import io.fabric8.kubernetes.api.model.LocalVolumeSource;
import io.fabric8.kubernetes.api.model.NFSVolumeSource;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimVolumeSource;
import io.fabric8.kubernetes.api.model.Volume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code persistentVolumeClaim} volumes backed by node-local PVs (upstream pkg/volume/local, with the
 * attach/mount-device steps of the operation executor folded in). A loop-backed or block-device PV is formatted when
 * blank, mounted once at a global path {@code <root>/plugins/kubernetes.io/local-volume/mounts/<pv>} and bound into
 * each pod's volume dir; a directory PV (local or hostPath) is bound straight in. The global mount and the loop
 * device go when the last pod's bind goes.
 */
public final class PersistentClaimPlugin implements VolumePlugin {
    private static final Logger log = LoggerFactory.getLogger(PersistentClaimPlugin.class);

    public static final String NAME = "kubernetes.io/local-volume";
    /** Upstream's MkdirAll mode for the pod's volume dir and the global mount dirs. */
    static final int DIR_MODE = 0750;

    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;
    /** A PV name is a DNS subdomain: safe as one path component. */
    private static final Pattern PV_NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

    private final VolumeDirs dirs;
    private final Mounter mounter;
    private final ClaimVolumes claims;
    private final LoopDevices loops;
    private final Blkid blkid;
    private final Mkfs mkfs;
    /** Global mounts, one dir per PV. */
    private final Path mountsDir;
    /** One file per loop device this plugin attached, named after the PV, holding the backing file's path. */
    private final Path loopsDir;
    private final Path mountInfo;
    /** Setting up a global mount and releasing unused ones must not interleave (a release could race a new bind). */
    private final Path rootDir;
    private final Object globalLock = new Object();
    private final ClaimUsers claimUsers = new ClaimUsers();

    public PersistentClaimPlugin(VolumeDirs dirs, ClaimVolumes claims, LoopDevices loops, Blkid blkid, Mkfs mkfs,
                                 Path rootDir) {
        this(dirs, claims, loops, blkid, mkfs, rootDir, Path.of("/proc/self/mountinfo"));
    }

    /** @param mountInfo the mount table the release reads (the same one the mounter reads) */
    PersistentClaimPlugin(VolumeDirs dirs, ClaimVolumes claims, LoopDevices loops, Blkid blkid, Mkfs mkfs,
                          Path rootDir, Path mountInfo) {
        this.dirs = dirs;
        this.mounter = dirs.mounter();
        this.claims = claims;
        this.loops = loops;
        this.blkid = blkid;
        this.mkfs = mkfs;
        this.rootDir = rootDir;
        Path pluginDir = rootDir.resolve("plugins").resolve(NAME);
        this.mountsDir = pluginDir.resolve("mounts");
        this.loopsDir = pluginDir.resolve("loops");
        this.mountInfo = mountInfo;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean canSupport(Volume volume) {
        return volume.getPersistentVolumeClaim() != null;
    }

    /** The global mount path of the PV {@code pvName}. */
    public Path globalPath(String pvName) {
        return mountsDir.resolve(pvName);
    }

    @Override
    public void setUp(VolumeSpec spec) throws VolumeException {
        PersistentVolumeClaimVolumeSource source = spec.volume().getPersistentVolumeClaim();
        String claimName = source.getClaimName();
        if (claimName == null || claimName.isEmpty()) {
            throw new VolumeException("volume \"" + spec.name() + "\": persistentVolumeClaim.claimName is empty");
        }
        PersistentVolume pv = claims.boundVolume(spec.namespace(), claimName)
                .orElseThrow(() -> new VolumeException(claims.whyNotBound(spec.namespace(), claimName)));
        String pvName = pv.getMetadata().getName();
        if (pvName == null || !PV_NAME.matcher(pvName).matches()) {
            throw new VolumeException("persistentvolume name \"" + pvName + "\" is not a valid name");
        }
        boolean readOnly = Boolean.TRUE.equals(source.getReadOnly());
        boolean firstUse = claimUsers.claim(pv, spec.podUid(), spec.namespace() + "/" + claimName);
        try {
            mountClaim(spec, pv, pvName, readOnly);
        } catch (VolumeException | RuntimeException e) {
            if (firstUse) {
                claimUsers.forget(pvName, spec.podUid()); // it never got the volume: it does not hold it
            }
            throw e;
        }
    }

    private void mountClaim(VolumeSpec spec, PersistentVolume pv, String pvName, boolean readOnly) throws VolumeException {
        if ("Block".equals(pv.getSpec().getVolumeMode())) {
            mapBlock(spec, pv, pvName);
            return;
        }
        NFSVolumeSource nfs = pv.getSpec().getNfs();
        if (nfs != null) {
            // as upstream's nfs plugin: straight into the pod's directory, with the PV's mountOptions
            List<String> options = pv.getSpec().getMountOptions() == null ? List.of() : pv.getSpec().getMountOptions();
            NfsMount.mount(dirs.mounter(), nfs.getServer(), nfs.getPath(), spec.dir(), options,
                    readOnly || Boolean.TRUE.equals(nfs.getReadOnly()));
            return;
        }
        HostPathVolumeSource hostPath = pv.getSpec().getHostPath();
        if (hostPath != null) {
            Path p = absolute(pvName, hostPath.getPath());
            HostPathPlugin.checkType(p, hostPath.getType() == null ? "" : hostPath.getType());
            bindInto(spec, pvName, p, readOnly);
            return;
        }
        LocalVolumeSource local = pv.getSpec().getLocal();
        if (local == null) {
            throw new VolumeException("persistentvolume \"" + pvName
                    + "\" has no local or hostPath source: no plugin on this node can mount it");
        }
        Path path = absolute(pvName, local.getPath());
        boolean bound;
        synchronized (globalLock) {
            Path from;
            if (Files.isDirectory(path)) {
                from = path;
            } else {
                Path device = device(pvName, path);
                from = mountGlobal(spec, pvName, device, local.getFsType());
            }
            bound = bindInto(spec, pvName, from, readOnly);
        }
        Optional<Long> fsGroup = VolumeOwnership.fsGroup(spec.pod());
        if (bound && !readOnly && fsGroup.isPresent()) {
            try {
                VolumeOwnership.apply(spec.dir(), fsGroup.get(), false);
            } catch (IOException e) {
                throw new VolumeException("cannot set the volume's group to fsGroup " + fsGroup.get() + ": "
                        + e.getMessage(), e);
            }
        }
    }

    /**
     * A Block volume: the device (a loop device for a backing file) itself, never formatted or mounted, recorded as a
     * symlink at the pod's volume path (upstream's block volume mapper links it under the pod, too). Containers get it
     * through volumeDevices.
     */
    private void mapBlock(VolumeSpec spec, PersistentVolume pv, String pvName) throws VolumeException {
        LocalVolumeSource local = pv.getSpec().getLocal();
        if (local == null) {
            throw new VolumeException("persistentvolume \"" + pvName + "\" is a Block volume without a local source");
        }
        Path device;
        synchronized (globalLock) {
            device = device(pvName, absolute(pvName, local.getPath()));
        }
        try {
            VolumeDirs.mkdirs(spec.dir().getParent(), DIR_MODE);
            if (Files.isSymbolicLink(spec.dir()) && Files.readSymbolicLink(spec.dir()).equals(device)) {
                return;
            }
            Files.deleteIfExists(spec.dir());
            Files.createSymbolicLink(spec.dir(), device);
            log.info("pod {} ({}): pv {}: block device {} mapped at {}", spec.podRef(), spec.podUid(), pvName, device,
                    spec.dir());
        } catch (IOException e) {
            throw new VolumeException("cannot map block volume " + pvName + ": " + e.getMessage(), e);
        }
    }

    /** A Block volume's path is its device (the symlink's target); any other volume's is its directory. */
    @Override
    public Path path(VolumeSpec spec) {
        try {
            if (Files.isSymbolicLink(spec.dir())) {
                return Files.readSymbolicLink(spec.dir());
            }
        } catch (IOException e) {
            log.warn("cannot read the block device link {}: {}", spec.dir(), e.toString());
        }
        return spec.dir();
    }

    /** Devices that pods' Block volumes link to (read from disk, so it holds across a restart). */
    private Set<Path> mappedDevices() {
        Set<Path> out = new HashSet<>();
        for (Path pod : list(rootDir.resolve("pods"))) {
            for (Path link : list(pod.resolve("volumes").resolve(VolumePaths.escapePluginName(NAME)))) {
                try {
                    if (Files.isSymbolicLink(link)) {
                        out.add(Files.readSymbolicLink(link));
                    }
                } catch (IOException e) {
                    log.warn("cannot read {}: {}", link, e.toString());
                }
            }
        }
        return out;
    }

    @Override
    public void tearDown(Path dir) throws VolumeException {
        dirs.remove(dir);
        claimUsers.release(dir);
        try {
            releaseUnusedGlobalMounts();
        } catch (VolumeException e) {
            // The pod's volume is gone; a global mount left behind is retried at the next teardown or release.
            log.warn("tore down {} but could not release unused global mounts: {}", dir, e.getMessage());
        }
    }

    /**
     * Unmounts and removes every global mount no pod binds any more (no other mount of the same device), then
     * detaches the loop devices this plugin attached whose global mount is gone. Safe to call at any time, e.g.
     * after a restart. Throws, after trying them all, when some could not be released.
     */
    public void releaseUnusedGlobalMounts() throws VolumeException {
        List<String> failures = new ArrayList<>();
        synchronized (globalLock) {
            for (Path global : unusedGlobalMounts()) {
                try {
                    dirs.remove(global);
                    log.info("released global mount {}: no pod uses it any more", global);
                } catch (VolumeException e) {
                    failures.add(global + ": " + e.getMessage());
                }
            }
            Set<Path> mapped = mappedDevices();
            for (Path marker : list(loopsDir)) {
                String pvName = marker.getFileName().toString();
                try {
                    if (mounter.isMountPoint(globalPath(pvName)) || claimUsers.hasUsers(pvName)) {
                        continue;
                    }
                    Path backing = Path.of(Files.readString(marker, StandardCharsets.UTF_8).strip());
                    Optional<Path> device = loops.find(backing);
                    if (device.isPresent() && mapped.contains(device.get())) {
                        continue; // a Block volume of a pod still links to it
                    }
                    if (loops.detach(backing)) {
                        log.info("detached the loop device of {} (pv {})", backing, pvName);
                    }
                    Files.deleteIfExists(marker);
                } catch (IOException e) {
                    failures.add("detach loop device of pv " + pvName + ": " + e.getMessage());
                }
            }
        }
        if (!failures.isEmpty()) {
            throw new VolumeException("cannot release " + String.join("; ", failures));
        }
    }

    /**
     * Global mounts directly under the mounts dir whose device no other mount shows. A pod's bind of a global mount
     * has the same major:minor (one superblock), so a device seen at any other mount point is still in use.
     */
    private List<Path> unusedGlobalMounts() throws VolumeException {
        if (!Files.isDirectory(mountsDir)) {
            return List.of();
        }
        Path realMounts;
        List<MountInfo> table;
        try {
            realMounts = mountsDir.toRealPath();
            table = MountInfoParser.read(mountInfo);
        } catch (IOException e) {
            throw new VolumeException("cannot read the global mounts: " + e.getMessage(), e);
        }
        List<Path> unused = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (MountInfo g : table) {
            if (!realMounts.equals(g.path().getParent()) || !seen.add(g.mountPoint())) {
                continue;
            }
            boolean used = table.stream().anyMatch(m -> m.major() == g.major() && m.minor() == g.minor()
                    && !m.mountPoint().equals(g.mountPoint()));
            if (used) {
                log.debug("global mount {} ({}:{}) is still bound by a pod; keeping it", g.mountPoint(), g.major(),
                        g.minor());
            } else {
                unused.add(mountsDir.resolve(g.path().getFileName()));
            }
        }
        return unused;
    }

    /** The device for a {@code local.path} that is not a directory: a loop device for a file, or the block device. */
    private Path device(String pvName, Path path) throws VolumeException {
        try {
            if (Files.isRegularFile(path)) {
                recordLoop(pvName, path);
                return loops.attach(path);
            }
            int mode = (Integer) Files.getAttribute(path, "unix:mode");
            if ((mode & S_IFMT) == S_IFBLK) {
                return path;
            }
            throw new VolumeException("persistentvolume \"" + pvName + "\": local path " + path
                    + " is not a directory, a regular file or a block device");
        } catch (NoSuchFileException e) {
            throw new VolumeException("persistentvolume \"" + pvName + "\": local path " + path + " does not exist", e);
        } catch (IOException e) {
            throw new VolumeException("persistentvolume \"" + pvName + "\": cannot attach " + path + ": "
                    + e.getMessage(), e);
        }
    }

    /** Written before the attach, so a crash between the two still leaves the device findable for the release. */
    private void recordLoop(String pvName, Path file) throws IOException {
        VolumeDirs.mkdirs(loopsDir, DIR_MODE);
        Path marker = loopsDir.resolve(pvName);
        String content = file.toRealPath() + "\n";
        if (Files.exists(marker) && Files.readString(marker, StandardCharsets.UTF_8).equals(content)) {
            return;
        }
        Path tmp = loopsDir.resolve("." + pvName + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, marker, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Formats {@code device} when blank and mounts it at the PV's global path, once: an existing mount there (after
     * a restart) is adopted when it holds this device, never mounted again.
     */
    private Path mountGlobal(VolumeSpec spec, String pvName, Path device, String fsType) throws VolumeException {
        Path global = globalPath(pvName);
        try {
            VolumeDirs.mkdirs(global, DIR_MODE);
            if (mounter.isMountPoint(global)) {
                long mountedDev = (Long) Files.getAttribute(global, "unix:dev", LinkOption.NOFOLLOW_LINKS);
                long deviceDev = (Long) Files.getAttribute(device, "unix:rdev");
                if (mountedDev != deviceDev) {
                    throw new VolumeException("global mount " + global + " of persistentvolume \"" + pvName
                            + "\" holds another device than " + device);
                }
                log.debug("pod {} ({}): global mount {} of pv {} is already there; using it", spec.podRef(),
                        spec.podUid(), global, pvName);
                return global;
            }
            Mkfs.Outcome made = mkfs.formatIfBlank(device, fsType);
            if (made.formatted()) {
                log.info("pod {} ({}): pv {}: formatted {} as {}", spec.podRef(), spec.podUid(), pvName, device,
                        made.fsType());
            } else {
                log.info("pod {} ({}): pv {}: {} already has {}; kept it, not formatting", spec.podRef(),
                        spec.podUid(), pvName, device, made.fsType());
            }
            try {
                mounter.mount(device.toString(), global, made.fsType(), 0, null);
            } catch (MountException e) {
                throw new VolumeException("cannot mount " + device + " (" + describe(device) + ") at " + global
                        + ": " + e.getMessage(), e);
            }
            log.info("pod {} ({}): pv {}: mounted {} ({}) at {}", spec.podRef(), spec.podUid(), pvName, device,
                    made.fsType(), global);
            return global;
        } catch (BlockDeviceException e) {
            throw new VolumeException("persistentvolume \"" + pvName + "\": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new VolumeException("persistentvolume \"" + pvName + "\": cannot mount " + device + " at "
                    + global + ": " + e.getMessage(), e);
        }
    }

    /** Binds {@code from} at the pod's volume dir unless it is a mount point already; true when it bound now. */
    private boolean bindInto(VolumeSpec spec, String pvName, Path from, boolean readOnly) throws VolumeException {
        Path dir = spec.dir();
        try {
            VolumeDirs.mkdirs(dir, DIR_MODE);
            if (mounter.isMountPoint(dir)) {
                return false;
            }
            mounter.bind(from, dir, readOnly);
        } catch (IOException e) {
            throw new VolumeException("cannot bind persistentvolume \"" + pvName + "\" into the pod: "
                    + e.getMessage(), e);
        }
        log.info("pod {} ({}): bound pv {} ({}) at {}{}", spec.podRef(), spec.podUid(), pvName, from, dir,
                readOnly ? " read-only" : "");
        return true;
    }

    private String describe(Path device) {
        try {
            return "blkid: " + blkid.probe(device).describe();
        } catch (BlockDeviceException e) {
            return "blkid failed: " + e.getMessage();
        }
    }

    private static Path absolute(String pvName, String path) throws VolumeException {
        if (path == null || !path.startsWith("/")) {
            throw new VolumeException("persistentvolume \"" + pvName + "\": path \"" + path
                    + "\" must be an absolute path");
        }
        return Path.of(path);
    }

    private static List<Path> list(Path dir) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, p -> !p.getFileName().toString().startsWith("."))) {
            s.forEach(out::add);
        } catch (IOException e) {
            log.warn("cannot list {}: {}", dir, e.getMessage());
        }
        return out;
    }
}
