package dev.skiff.volume.pv;

import dev.skiff.volume.block.Commands;
import dev.skiff.volume.block.LoopDevices;
import dev.skiff.volume.block.SparseFiles;
import dev.skiff.volume.util.Quantities;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimStatus;
import io.fabric8.kubernetes.api.model.PersistentVolumeStatus;
import io.fabric8.kubernetes.api.model.Quantity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Skiff's PersistentVolumeController: runs the {@link VolumeBinder} over the manifests' PVs and PVCs (plus the PVs it
 * provisioned), persists the resulting {@link BindingState}, and carries out the binder's Provision and DeleteVolume
 * requests for the {@value #LOOPBACK_PROVISIONER} provisioner (sparse backing files under
 * {@code <root>/storage/loopback}). A pass runs every second on thread "pv-controller", and at once when woken.
 */
public final class PersistentVolumeController implements AutoCloseable {
    public static final String LOOPBACK_PROVISIONER = "skiff.dev/loopback";
    /** Where a claim's Pending (or Lost) message is shown: Skiff keeps no events, and PVC status has no message. */
    public static final String STATUS_MESSAGE_ANNOTATION = "skiff.dev/status-message";

    static final long PASS_MILLIS = 1000;
    private static final String STORAGE = "storage";
    private static final long SECTOR = 512;
    /** fsType names as mkfs.* tools are named; anything else could escape "mkfs." on the way to a path. */
    private static final Pattern FS_TYPE = Pattern.compile("[a-z0-9]+");
    /** Claim uids become file names: UUIDs and the like only. */
    private static final Pattern UID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Logger log = LoggerFactory.getLogger(PersistentVolumeController.class);

    /** The loop devices bound to a file (the kernel's answer in production; a fake in tests). */
    interface AttachedDevices {
        List<Path> of(Path file) throws IOException;
    }

    private final Path loopbackDir;
    private final StorageObjects objects;
    private final BindingStateStore stateStore;
    private final ProvisionedVolumeStore provisionedStore;
    private final VolumeBinder binder = new VolumeBinder();
    private final AttachedDevices attached;
    private final Predicate<String> mkfsExists;
    private final Thread thread;

    private final Object wakeLock = new Object();
    private boolean woken;
    private volatile boolean closed;
    /** The last error a pass of the thread failed with, so that one that repeats every second is logged once. */
    private String lastError;

    /** Guards everything below: one pass at a time, and readers see the state between passes. */
    private final Object lock = new Object();
    private boolean loaded;
    private boolean started;
    private BindingState state = BindingState.EMPTY;
    private final Map<String, ProvisionedVolume> provisioned = new TreeMap<>();

    /** Keeps its state under {@code <rootDir>/storage/}. */
    public PersistentVolumeController(Path rootDir, StorageObjects objects) {
        this(rootDir, objects, new LoopDevices()::findAll, PersistentVolumeController::mkfsInstalled);
    }

    PersistentVolumeController(Path rootDir, StorageObjects objects, AttachedDevices attached,
                               Predicate<String> mkfsExists) {
        Path storageDir = rootDir.resolve("storage");
        this.loopbackDir = storageDir.resolve("loopback");
        this.objects = objects;
        this.stateStore = new BindingStateStore(storageDir);
        this.provisionedStore = new ProvisionedVolumeStore(storageDir.resolve("provisioned"));
        this.attached = attached;
        this.mkfsExists = mkfsExists;
        this.thread = new Thread(this::loop, "pv-controller");
        this.thread.setDaemon(true);
    }

    /**
     * Loads the saved state and starts the loop.
     *
     * @throws IllegalStateException when the saved state cannot be read (corrupt): the bindings must not be guessed
     */
    public void start() {
        synchronized (lock) {
            if (started) {
                throw new IllegalStateException("persistent volume controller already started");
            }
            try {
                ensureLoaded();
            } catch (IOException e) {
                log.error("persistent volume controller cannot start: {}", e.getMessage());
                throw new IllegalStateException("cannot start the persistent volume controller: " + e.getMessage(),
                        e);
            }
            started = true;
        }
        objectsChanged(); // the first pass at once
        thread.start();
    }

    /** Asks for a pass now (a PV, PVC, StorageClass or a pod's use of a claim changed). */
    public void objectsChanged() {
        synchronized (wakeLock) {
            woken = true;
            wakeLock.notifyAll();
        }
    }

    /**
     * One pass: binder, state saved when it changed, Provision and DeleteVolume carried out.
     *
     * @return how many decisions the binder made (Provision and DeleteVolume repeat while they still apply)
     * @throws IllegalStateException when the saved state cannot be loaded
     * @throws UncheckedIOException  when the state cannot be saved (the next pass tries again)
     */
    public int syncOnce() {
        synchronized (lock) {
            try {
                ensureLoaded();
            } catch (IOException e) {
                throw new IllegalStateException("cannot load persistent volume state: " + e.getMessage(), e);
            }
            if (!objects.synced()) {
                return 0; // a claim not read yet must not look deleted: its volume would be released, or deleted
            }
            List<PersistentVolumeClaim> claims = objects.persistentVolumeClaims();
            Map<String, StorageClassSpec> classes = new TreeMap<>();
            Map<String, StorageClassInfo> infos = new TreeMap<>();
            for (StorageClassSpec sc : objects.storageClasses()) {
                classes.put(sc.name(), sc);
                infos.put(sc.name(), new StorageClassInfo(sc.provisioner(),
                        LOOPBACK_PROVISIONER.equals(sc.provisioner()),
                        "WaitForFirstConsumer".equals(sc.volumeBindingMode())));
            }
            List<PersistentVolume> manifestVolumes = objects.persistentVolumes();
            BindingResult result = binder.sync(new VolumeBinder.Inputs(allVolumes(manifestVolumes, true), claims,
                    state, infos, objects.claimsInUse(), objects.nodeLabels()));
            BindingState next = result.state();
            logReleased(next);
            for (BindingDecision d : result.decisions()) {
                if (d instanceof BindingDecision.Bind b) {
                    log.info("pvc {} bound to pv {}", b.claim().key(), b.volumeName());
                } else if (d instanceof BindingDecision.Unbind u) {
                    log.info("pv {} unbound from pvc {}", u.volumeName(), u.formerClaim().key());
                } else if (d instanceof BindingDecision.Provision p) {
                    next = provision(p, claims, classes, next);
                } else if (d instanceof BindingDecision.DeleteVolume dv) {
                    next = deleteVolume(dv, next);
                }
            }
            if (!next.equals(state)) {
                try {
                    stateStore.save(next);
                } catch (IOException e) {
                    log.error("cannot save persistent volume state to {}: {}", stateStore.file(), e.toString());
                    throw new UncheckedIOException(e);
                }
                state = next;
            }
            return result.decisions().size();
        }
    }

    /** The manifests' PVs and the provisioned ones, as copies with Skiff's status and claimRef filled in. */
    public List<PersistentVolume> persistentVolumes() {
        synchronized (lock) {
            List<PersistentVolume> out = new ArrayList<>();
            for (PersistentVolume pv : allVolumes(objects.persistentVolumes(), false)) {
                out.add(withStatus(pv));
            }
            return out;
        }
    }

    /** This node's labels, as the storage objects give them (for the PVs' nodeAffinity). */
    public Map<String, String> nodeLabels() {
        return objects.nodeLabels();
    }

    /** The manifests' PVCs as copies with Skiff's status, volumeName and (while Pending) message filled in. */
    public List<PersistentVolumeClaim> persistentVolumeClaims() {
        synchronized (lock) {
            Map<String, PersistentVolume> volumes = new TreeMap<>();
            for (PersistentVolume pv : allVolumes(objects.persistentVolumes(), false)) {
                volumes.put(pv.getMetadata().getName(), pv);
            }
            List<PersistentVolumeClaim> out = new ArrayList<>();
            for (PersistentVolumeClaim claim : objects.persistentVolumeClaims()) {
                out.add(withStatus(claim, volumes));
            }
            return out;
        }
    }

    /** The PV (with its status) the claim {@code namespace/claimName} is Bound to; empty unless Bound. */
    public Optional<PersistentVolume> boundVolume(String namespace, String claimName) {
        synchronized (lock) {
            ClaimStatus cs = state.claim(namespace + "/" + claimName);
            if (cs == null || cs.phase() != ClaimPhase.Bound || cs.volumeName() == null) {
                return Optional.empty();
            }
            return persistentVolumes().stream()
                    .filter(pv -> cs.volumeName().equals(pv.getMetadata().getName())).findFirst();
        }
    }

    @Override
    public void close() {
        closed = true;
        objectsChanged();
        if (thread.isAlive()) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---- the loop

    private void loop() {
        while (!closed) {
            synchronized (wakeLock) {
                if (!woken) {
                    try {
                        wakeLock.wait(PASS_MILLIS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                woken = false;
            }
            if (closed) {
                return;
            }
            try {
                syncOnce();
                lastError = null;
            } catch (RuntimeException e) {
                // a dead thread would leave every claim as it is: log (once per distinct error) and try again
                if (!e.toString().equals(lastError)) {
                    log.error("pv-controller pass failed (retrying every {} ms): {}", PASS_MILLIS, e.toString(), e);
                    lastError = e.toString();
                }
            }
        }
    }

    private void ensureLoaded() throws IOException {
        if (loaded) {
            return;
        }
        BindingState s = stateStore.load();
        Map<String, ProvisionedVolume> p = provisionedStore.loadAll();
        state = s;
        provisioned.putAll(p);
        loaded = true;
        log.info("loaded persistent volume state: {} volumes, {} claims, {} provisioned volumes", s.volumes().size(),
                s.claims().size(), p.size());
    }

    /** The manifests' PVs, then the provisioned ones; a manifest PV wins a name clash (logged when asked). */
    private List<PersistentVolume> allVolumes(List<PersistentVolume> manifestVolumes, boolean logClash) {
        List<PersistentVolume> all = new ArrayList<>(manifestVolumes);
        for (ProvisionedVolume v : provisioned.values()) {
            boolean clash = manifestVolumes.stream().anyMatch(pv -> v.name().equals(pv.getMetadata().getName()));
            if (!clash) {
                all.add(v.toPersistentVolume());
            } else if (logClash) {
                log.warn("a manifest defines PersistentVolume {}, the name of a provisioned volume; ignoring the "
                        + "provisioned one (backing file {})", v.name(), v.backingFile());
            }
        }
        return all;
    }

    private void logReleased(BindingState next) {
        next.volumes().forEach((name, vs) -> {
            VolumeStatus prev = state.volume(name);
            if (vs.phase() == VolumePhase.Released && (prev == null || prev.phase() != VolumePhase.Released)) {
                log.info("pv {} released", name);
            }
        });
    }

    // ---- provisioning

    /** Upstream's provisionClaimOperation for the loopback provisioner; a failure becomes the claim's message. */
    private BindingState provision(BindingDecision.Provision p, List<PersistentVolumeClaim> claims,
                                   Map<String, StorageClassSpec> classes, BindingState next) {
        if (!LOOPBACK_PROVISIONER.equals(p.provisioner())) {
            return next; // the binder asks only for provisioners marked known, which is ours alone
        }
        String pvName = "pvc-" + p.claimUid();
        if (provisioned.containsKey(pvName)) {
            return next; // made on an earlier pass; the binder binds it
        }
        PersistentVolumeClaim claim = claims.stream().filter(c -> ClaimKeys.key(c).equals(p.claimKey())
                && p.claimUid().equals(c.getMetadata().getUid())).findFirst().orElse(null);
        StorageClassSpec sc = classes.get(p.storageClassName());
        if (claim == null || sc == null) {
            return next; // gone since the snapshot was taken; the next pass sees that
        }
        try {
            ProvisionedVolume v = loopbackVolume(pvName, claim, sc);
            long bytes = sizeInBytes(claim);
            Files.createDirectories(loopbackDir);
            SparseFiles.create(v.backingFile(), bytes);
            provisionedStore.save(v);
            provisioned.put(pvName, v);
            log.info("pv {} provisioned for pvc {} ({}, {}, {})", pvName, p.claimKey(), v.capacity(),
                    v.fsType() == null ? "block" : v.fsType(), v.backingFile());
            objectsChanged(); // bind it at once
            return next;
        } catch (IOException | IllegalArgumentException e) {
            String msg = "failed to provision volume with StorageClass \"" + sc.name() + "\": " + e.getMessage();
            ClaimStatus before = state.claim(p.claimKey());
            if (before == null || !msg.equals(before.message())) {
                log.warn("pvc {} (uid {}): {}", p.claimKey(), p.claimUid(), msg);
            }
            return withClaim(next, p.claimKey(), new ClaimStatus(ClaimPhase.Pending, null, msg));
        }
    }

    /** The PV to make for {@code claim}; throws IllegalArgumentException with the reason it cannot be made. */
    private ProvisionedVolume loopbackVolume(String pvName, PersistentVolumeClaim claim, StorageClassSpec sc) {
        if (!UID.matcher(claim.getMetadata().getUid()).matches()) {
            throw new IllegalArgumentException("claim uid \"" + claim.getMetadata().getUid()
                    + "\" cannot name a file");
        }
        String volumeMode = claim.getSpec().getVolumeMode() == null || claim.getSpec().getVolumeMode().isEmpty()
                ? "Filesystem" : claim.getSpec().getVolumeMode();
        String fsType = null;
        if (!"Block".equals(volumeMode)) {
            String wanted = sc.parameters().get("fsType");
            fsType = wanted == null || wanted.isEmpty() ? "ext4" : wanted;
            if (!FS_TYPE.matcher(fsType).matches()) {
                throw new IllegalArgumentException("invalid fsType \"" + fsType + "\"");
            }
            if (!mkfsExists.test(fsType)) {
                throw new IllegalArgumentException("fsType \"" + fsType + "\" is not supported on this node: mkfs."
                        + fsType + " not found");
            }
        }
        Quantity request = claim.getSpec().getResources() == null
                || claim.getSpec().getResources().getRequests() == null ? null
                : claim.getSpec().getResources().getRequests().get(STORAGE);
        if (request == null || Quantities.amount(request).signum() <= 0) {
            throw new IllegalArgumentException("the claim requests no storage (spec.resources.requests.storage)");
        }
        List<String> modes = claim.getSpec().getAccessModes() == null ? List.of() : claim.getSpec().getAccessModes();
        return new ProvisionedVolume(pvName, ClaimRef.of(claim), request.toString(), modes, volumeMode, sc.name(),
                sc.reclaimPolicy(), loopbackDir.resolve(pvName + ".img"), fsType,
                objects.nodeLabels().get(NodeAffinities.HOSTNAME));
    }

    /** The request in bytes, rounded up to whole sectors (a loop device ignores a partial last sector). */
    private static long sizeInBytes(PersistentVolumeClaim claim) {
        BigDecimal amount = Quantities.amount(claim.getSpec().getResources().getRequests(), STORAGE);
        long bytes = Quantities.value(amount);
        return (bytes + SECTOR - 1) / SECTOR * SECTOR;
    }

    // ---- deleting

    /** Reclaim policy Delete: remove a provisioned volume's backing file and record; a manifest's PV cannot be. */
    private BindingState deleteVolume(BindingDecision.DeleteVolume d, BindingState next) {
        String name = d.volumeName();
        ProvisionedVolume v = provisioned.get(name);
        if (v == null) {
            return failed(next, name, "Skiff cannot delete PersistentVolume " + name
                    + ": it is defined by a manifest; delete its storage and remove it from the manifests by hand");
        }
        try {
            List<Path> devices = attached.of(v.backingFile());
            if (!devices.isEmpty()) {
                return failed(next, name, "backing file " + v.backingFile() + " is still attached to " + devices
                        + "; it is deleted once detached");
            }
            Files.deleteIfExists(v.backingFile()); // the file first: a crash then leaves a record that retries
            provisionedStore.delete(name);
        } catch (IOException e) {
            return failed(next, name, "cannot delete backing file " + v.backingFile() + ": " + e.getMessage());
        }
        provisioned.remove(name);
        log.info("pv {} deleted (backing file {})", name, v.backingFile());
        Map<String, VolumeStatus> volumes = new TreeMap<>(next.volumes());
        volumes.remove(name);
        return new BindingState(volumes, next.claims());
    }

    /** {@code next} with the volume Failed; logged once per message (the binder asks again every pass). */
    private BindingState failed(BindingState next, String name, String message) {
        VolumeStatus before = state.volume(name);
        if (before == null || before.phase() != VolumePhase.Failed || !message.equals(before.message())) {
            log.warn("pv {} failed: {}", name, message);
        }
        return next.withVolumeFailed(name, message);
    }

    private static BindingState withClaim(BindingState s, String key, ClaimStatus cs) {
        Map<String, ClaimStatus> claims = new TreeMap<>(s.claims());
        claims.put(key, cs);
        return new BindingState(s.volumes(), claims);
    }

    // ---- the objects as shown

    private PersistentVolume withStatus(PersistentVolume pv) {
        PersistentVolume copy = new PersistentVolumeBuilder(pv).build();
        copy.getSpec().setCapacity(copyQuantities(pv.getSpec().getCapacity()));
        VolumeStatus vs = state.volume(pv.getMetadata().getName());
        PersistentVolumeStatus status = new PersistentVolumeStatus();
        if (vs == null) {
            status.setPhase("Pending"); // not seen by a pass yet
        } else {
            status.setPhase(vs.phase().name());
            status.setMessage(vs.message().isEmpty() ? null : vs.message());
            copy.getSpec().setClaimRef(vs.claimRef() == null ? null : reference(vs.claimRef()));
        }
        copy.setStatus(status);
        return copy;
    }

    private PersistentVolumeClaim withStatus(PersistentVolumeClaim claim, Map<String, PersistentVolume> volumes) {
        PersistentVolumeClaim copy = new PersistentVolumeClaimBuilder(claim).build();
        if (copy.getSpec().getResources() != null) {
            copy.getSpec().getResources().setRequests(copyQuantities(claim.getSpec().getResources().getRequests()));
            copy.getSpec().getResources().setLimits(copyQuantities(claim.getSpec().getResources().getLimits()));
        }
        ClaimStatus cs = state.claim(ClaimKeys.key(claim));
        PersistentVolumeClaimStatus status = new PersistentVolumeClaimStatus();
        status.setPhase(cs == null ? ClaimPhase.Pending.name() : cs.phase().name());
        Map<String, String> annotations = copy.getMetadata().getAnnotations() == null ? new LinkedHashMap<>()
                : new LinkedHashMap<>(copy.getMetadata().getAnnotations());
        annotations.remove(STATUS_MESSAGE_ANNOTATION);
        if (cs != null) {
            if (cs.phase() != ClaimPhase.Pending && cs.volumeName() != null) {
                copy.getSpec().setVolumeName(cs.volumeName());
            }
            PersistentVolume pv = cs.phase() == ClaimPhase.Bound ? volumes.get(cs.volumeName()) : null;
            if (pv != null) {
                status.setCapacity(copyQuantities(pv.getSpec().getCapacity()));
                status.setAccessModes(pv.getSpec().getAccessModes() == null ? null
                        : new ArrayList<>(pv.getSpec().getAccessModes()));
            }
            if (!cs.message().isEmpty()) {
                annotations.put(STATUS_MESSAGE_ANNOTATION, cs.message());
            }
        }
        copy.getMetadata().setAnnotations(annotations.isEmpty() ? null : annotations);
        copy.setStatus(status);
        return copy;
    }

    private static ObjectReference reference(ClaimRef ref) {
        return new ObjectReferenceBuilder().withKind("PersistentVolumeClaim").withApiVersion("v1")
                .withNamespace(ref.namespace()).withName(ref.name())
                .withUid(ref.uid().isEmpty() ? null : ref.uid()).build();
    }

    /** Builders copy maps but share their Quantity values, which are mutable. */
    private static Map<String, Quantity> copyQuantities(Map<String, Quantity> m) {
        if (m == null) {
            return null;
        }
        Map<String, Quantity> out = new LinkedHashMap<>();
        m.forEach((k, q) -> out.put(k, q == null ? null : new Quantity(q.getAmount(), q.getFormat())));
        return out;
    }

    /** Whether {@code mkfs.<fsType>} is an executable on PATH or in the sbin dirs. */
    static boolean mkfsInstalled(String fsType) {
        return Commands.find("mkfs." + fsType).isPresent();
    }
}
