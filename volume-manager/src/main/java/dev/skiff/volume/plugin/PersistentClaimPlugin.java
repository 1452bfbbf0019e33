package dev.skiff.volume.plugin;

import dev.skiff.volume.VolumeException;
import dev.skiff.volume.VolumePaths;
import dev.skiff.volume.block.BlockDeviceException;
import dev.skiff.volume.block.Blkid;
import dev.skiff.volume.block.BlockDevices;
import dev.skiff.volume.block.KernelFilesystems;
import dev.skiff.volume.block.LoopDevices;
import dev.skiff.volume.block.Mkfs;
import dev.skiff.volume.mount.MountException;
import dev.skiff.volume.mount.MountInfo;
import dev.skiff.volume.mount.MountInfoParser;
import dev.skiff.volume.mount.Mounter;
import dev.skiff.volume.pv.NodeAffinities;
import io.fabric8.kubernetes.api.model.HostPathVolumeSource;
import io.fabric8.kubernetes.api.model.LocalVolumeSource;
import io.fabric8.kubernetes.api.model.NFSVolumeSource;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.Volume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
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
 * {@code persistentVolumeClaim} volumes backed by node-local PVs (upstream pkg/volume/local, with the attach and
 * mount-device steps of the operation executor folded in). The pod's volume dir is named after the PV, as upstream's
 * (see {@link #resolve}). A loop-backed or block-device PV is checked ({@code local.path} exists and is a block device
 * or a file to attach), formatted when blank, mounted once at a global path
 * {@code <root>/plugins/kubernetes.io/local-volume/mounts/<pv>} and bound into each pod's volume dir; a directory PV is
 * bound straight in; a hostPath PV is the host's path itself; an nfs PV is mounted straight into the pod's dir; a
 * Block PV is its device, linked under the pod's {@code volumeDevices}. The global mount, and the loop device when
 * this plugin attached it, go when the last pod's use goes (also for pods gone while Skiff was down, once
 * reconstruction hands their dirs to {@link #tearDown}).
 */
public final class PersistentClaimPlugin implements VolumePlugin {
    private static final Logger log = LoggerFactory.getLogger(PersistentClaimPlugin.class);

    public static final String NAME = "kubernetes.io/local-volume";
    /** Upstream's MkdirAll mode for the pod's volume dir and the global mount dirs. */
    static final int DIR_MODE = 0750;

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
    private final LoopRecords loopRecords;
    private final Path mountInfo;
    private final VolumePaths paths;
    /** Setting up a global mount and releasing unused ones must not interleave (a release could race a new bind). */
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
        this.paths = new VolumePaths(rootDir);
        Path pluginDir = rootDir.resolve("plugins").resolve(NAME);
        this.mountsDir = pluginDir.resolve("mounts");
        this.loopRecords = new LoopRecords(pluginDir.resolve("loops"));
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

    /**
     * The claim's volume dir, named after its PV as upstream's (volume.Spec.Name() is the PV's name):
     * {@code volumes/kubernetes.io~local-volume/<pv>} for a local or loopback PV, {@code volumes/kubernetes.io~nfs/<pv>}
     * for an nfs PV, {@code volumeDevices/kubernetes.io~local-volume/<pv>} (a link to the device) for a Block PV; a
     * hostPath PV has none of its own (containers bind the host's path, as upstream's hostPath plugin), its
     * {@code volumes/kubernetes.io~host-path/<pv>} is never made.
     */
    @Override
    public VolumeSpec resolve(VolumeSpec spec) throws VolumeException {
        return spec.withDir(dirOf(spec.podUid(), boundVolume(spec)));
    }

    private Path dirOf(String podUid, PersistentVolume pv) {
        String pvName = pv.getMetadata().getName();
        if (isBlock(pv)) {
            return paths.volumeDeviceLink(podUid, NAME, pvName);
        }
        if (pv.getSpec().getNfs() != null) {
            return paths.volumeDir(podUid, NfsPlugin.NAME, pvName);
        }
        if (pv.getSpec().getHostPath() != null) {
            return paths.volumeDir(podUid, HostPathPlugin.NAME, pvName);
        }
        return paths.volumeDir(podUid, NAME, pvName);
    }

    /** The PV the pod volume's claim is bound to; throws with the reason when there is none (yet). */
    private PersistentVolume boundVolume(VolumeSpec spec) throws VolumeException {
        String claimName = spec.volume().getPersistentVolumeClaim().getClaimName();
        if (claimName == null || claimName.isEmpty()) {
            throw new VolumeException("volume \"" + spec.name() + "\": persistentVolumeClaim.claimName is empty");
        }
        PersistentVolume pv = claims.boundVolume(spec.namespace(), claimName)
                .orElseThrow(() -> new VolumeException(claims.whyNotBound(spec.namespace(), claimName)));
        String pvName = pv.getMetadata().getName();
        if (pvName == null || !PV_NAME.matcher(pvName).matches()) {
            throw new VolumeException("persistentvolume name \"" + pvName + "\" is not a valid name");
        }
        return pv;
    }

    private static boolean isBlock(PersistentVolume pv) {
        return "Block".equals(pv.getSpec().getVolumeMode());
    }

    /** Sets the claim's volume up at its PV-named dir ({@link #resolve}d here again, so any spec of it will do). */
    @Override
    public void setUp(VolumeSpec unresolved) throws VolumeException {
        PersistentVolume pv = boundVolume(unresolved);
        Optional<String> conflict = NodeAffinities.conflict(pv, claims.nodeLabels());
        if (conflict.isPresent()) {
            // upstream's operation generator checks it before anything is mounted
            throw VolumeException.inOperation("MountVolume.NodeAffinity check failed", conflict.get());
        }
        VolumeSpec spec = unresolved.withDir(dirOf(unresolved.podUid(), pv));
        String pvName = pv.getMetadata().getName();
        String claimName = spec.volume().getPersistentVolumeClaim().getClaimName();
        boolean firstUse = claimUsers.claim(pv, spec.podUid(), spec.namespace() + "/" + claimName);
        try {
            mountClaim(spec, pv, pvName, readOnly(spec));
        } catch (VolumeException | RuntimeException e) {
            if (firstUse) {
                claimUsers.forget(pvName, spec.podUid()); // it never got the volume: it does not hold it
            }
            throw e;
        }
    }

    /** The claim's {@code readOnly}: containers mount it read-only too (upstream's mounter attributes). */
    @Override
    public boolean readOnly(VolumeSpec spec) {
        return Boolean.TRUE.equals(spec.volume().getPersistentVolumeClaim().getReadOnly());
    }

    private void mountClaim(VolumeSpec spec, PersistentVolume pv, String pvName, boolean readOnly) throws VolumeException {
        if (isBlock(pv)) {
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
            // as upstream's hostPath plugin: checked, nothing mounted; containers bind the host's path (see path)
            HostPathPlugin.checkType(absolute(pvName, hostPath.getPath()),
                    hostPath.getType() == null ? "" : hostPath.getType());
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
        Path path = absolute(pvName, local.getPath());
        if (Files.isDirectory(path)) {
            throw new VolumeException("persistentvolume \"" + pvName + "\": local path " + path
                    + " is a directory: a Block volume needs a block device");
        }
        Path device;
        synchronized (globalLock) {
            device = device(pvName, path);
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

    /**
     * Where containers get the volume: a Block volume's device (its link's target), a hostPath PV's host path, else
     * the PV-named dir.
     */
    @Override
    public Path path(VolumeSpec spec) {
        Optional<PersistentVolume> pv = claims.boundVolume(spec.namespace(),
                spec.volume().getPersistentVolumeClaim().getClaimName());
        if (pv.isEmpty()) {
            return spec.dir();
        }
        Path dir = dirOf(spec.podUid(), pv.get());
        if (pv.get().getSpec().getHostPath() != null && !isBlock(pv.get())) {
            return Path.of(pv.get().getSpec().getHostPath().getPath());
        }
        try {
            if (Files.isSymbolicLink(dir)) {
                return Files.readSymbolicLink(dir);
            }
        } catch (IOException e) {
            log.warn("cannot read the block device link {}: {}", dir, e.toString());
        }
        return dir;
    }

    /** Devices that pods' Block volumes link to (read from disk, so it holds across a restart). */
    private Set<Path> mappedDevices() {
        Set<Path> out = new HashSet<>();
        for (Path pod : list(paths.podsDir())) {
            for (Path link : list(pod.resolve("volumeDevices").resolve(VolumePaths.escapePluginName(NAME)))) {
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
                    log.info("pv {}: released its global mount {}: no pod uses it any more", global.getFileName(),
                            global);
                } catch (VolumeException e) {
                    failures.add(global + ": " + e.getMessage());
                }
            }
            Set<Path> mapped = mappedDevices();
            for (String pvName : loopRecords.pvNames()) {
                try {
                    if (mounter.isMountPoint(globalPath(pvName)) || claimUsers.hasUsers(pvName)) {
                        continue;
                    }
                    Path backing = loopRecords.backingFile(pvName);
                    Optional<Path> device = loops.find(backing);
                    if (device.isPresent() && mapped.contains(device.get())) {
                        continue; // a Block volume of a pod still links to it
                    }
                    if (loops.detach(backing)) {
                        log.info("pv {}: detached the loop device of {}: no pod uses it any more", pvName, backing);
                    }
                    loopRecords.forget(pvName);
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
                loopRecords.record(pvName, path);
                return loops.attach(path);
            }
            if (BlockDevices.isBlockDevice(path)) {
                return path; // a device of the host's: checked, never attached or detached by Skiff
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
                String why = KernelFilesystems.listed(made.fsType()) ? e.getMessage()
                        : e.getMessage() + ": this kernel does not support fsType " + made.fsType()
                        + " (not in /proc/filesystems)";
                throw new VolumeException("cannot mount " + device + " (" + describe(device) + ") at " + global
                        + ": " + why, e);
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
