package dev.skiff.volume.pv;

import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import static dev.skiff.volume.pv.PvFixtures.pv;
import static dev.skiff.volume.pv.PvFixtures.pvc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PersistentVolumeControllerTest {
    private static final String LOOP = PersistentVolumeController.LOOPBACK_PROVISIONER;
    private static final String MSG = PersistentVolumeController.STATUS_MESSAGE_ANNOTATION;

    @TempDir
    Path root;

    private final FakeObjects objects = new FakeObjects();
    /** Loop devices the fake kernel reports per backing file. */
    private final Map<Path, List<Path>> attached = new java.util.concurrent.ConcurrentHashMap<>();
    private final List<PersistentVolumeController> controllers = new ArrayList<>();

    /** A tiny in-memory StorageObjects. */
    static final class FakeObjects implements StorageObjects {
        final List<PersistentVolume> pvs = new CopyOnWriteArrayList<>();
        final List<PersistentVolumeClaim> pvcs = new CopyOnWriteArrayList<>();
        final List<StorageClassSpec> classes = new CopyOnWriteArrayList<>();
        final Set<String> inUse = java.util.concurrent.ConcurrentHashMap.newKeySet();
        volatile boolean synced = true;
        volatile Map<String, String> nodeLabels = Map.of();

        @Override
        public boolean synced() {
            return synced;
        }

        @Override
        public Map<String, String> nodeLabels() {
            return nodeLabels;
        }

        @Override
        public List<PersistentVolume> persistentVolumes() {
            return List.copyOf(pvs);
        }

        @Override
        public List<PersistentVolumeClaim> persistentVolumeClaims() {
            return List.copyOf(pvcs);
        }

        @Override
        public List<StorageClassSpec> storageClasses() {
            return List.copyOf(classes);
        }

        @Override
        public Set<String> claimsInUse() {
            return Set.copyOf(inUse);
        }
    }

    private PersistentVolumeController controller(Predicate<String> mkfsExists) {
        PersistentVolumeController c = new PersistentVolumeController(root, objects,
                f -> attached.getOrDefault(f, List.of()), mkfsExists);
        controllers.add(c);
        return c;
    }

    private PersistentVolumeController controller() {
        return controller(t -> t.equals("ext4"));
    }

    @AfterEach
    void closeAll() {
        controllers.forEach(PersistentVolumeController::close);
    }

    private static PersistentVolume find(List<PersistentVolume> pvs, String name) {
        return pvs.stream().filter(p -> p.getMetadata().getName().equals(name)).findFirst().orElseThrow();
    }

    private static PersistentVolumeClaim claim(PersistentVolumeController c, String name) {
        return c.persistentVolumeClaims().stream().filter(p -> p.getMetadata().getName().equals(name)).findFirst()
                .orElseThrow();
    }

    private void loopClass(String name, String reclaim, String mode, Map<String, String> params) {
        objects.classes.add(new StorageClassSpec(name, LOOP, params, reclaim, mode, false));
    }

    private static PersistentVolumeClaim classClaim(String name, String size, String cls) {
        return pvc(name, size).editSpec().withStorageClassName(cls).endSpec().build();
    }

    private Path backing(String pvName) {
        return root.resolve("storage/loopback/" + pvName + ".img");
    }

    private Path record(String pvName) {
        return root.resolve("storage/provisioned/" + pvName + ".json");
    }

    @Test
    void staticVolumeBindsAndShowsPhasesOnCopies() {
        objects.pvs.add(pv("big", "5Gi").build());
        objects.pvs.add(pv("small", "1Gi").build());
        objects.pvcs.add(pvc("c", "1Gi").build());
        objects.pvcs.add(pvc("huge", "9Gi").build());
        PersistentVolumeController c = controller();

        assertEquals("Pending", find(c.persistentVolumes(), "small").getStatus().getPhase()); // before any pass
        assertEquals(1, c.syncOnce());

        List<PersistentVolume> pvs = c.persistentVolumes();
        PersistentVolume small = find(pvs, "small");
        assertEquals("Bound", small.getStatus().getPhase());
        assertEquals("c", small.getSpec().getClaimRef().getName());
        assertEquals("ns", small.getSpec().getClaimRef().getNamespace());
        assertEquals("uid-c", small.getSpec().getClaimRef().getUid());
        PersistentVolume big = find(pvs, "big");
        assertEquals("Available", big.getStatus().getPhase());
        assertNull(big.getSpec().getClaimRef());

        PersistentVolumeClaim bound = claim(c, "c");
        assertEquals("Bound", bound.getStatus().getPhase());
        assertEquals("small", bound.getSpec().getVolumeName());
        assertEquals(new Quantity("1Gi"), bound.getStatus().getCapacity().get("storage"));
        assertEquals(List.of("ReadWriteOnce"), bound.getStatus().getAccessModes());
        assertNull(bound.getMetadata().getAnnotations());
        PersistentVolumeClaim huge = claim(c, "huge");
        assertEquals("Pending", huge.getStatus().getPhase());
        assertNull(huge.getSpec().getVolumeName());
        assertEquals("no persistent volumes available for this claim and no storage class is set",
                huge.getMetadata().getAnnotations().get(MSG));

        assertEquals("small", c.boundVolume("ns", "c").orElseThrow().getMetadata().getName());
        assertTrue(c.boundVolume("ns", "huge").isEmpty());
        // The manifests' objects are not touched, and the copies do not share mutable parts with them.
        assertNull(objects.pvs.get(1).getStatus());
        assertNull(objects.pvcs.get(0).getSpec().getVolumeName());
        small.getSpec().getCapacity().get("storage").setAmount("7");
        assertEquals("1", objects.pvs.get(1).getSpec().getCapacity().get("storage").getAmount());
        assertTrue(Files.isRegularFile(root.resolve("storage/binding-state.json")));
    }

    @Test
    void provisionsASparseFileAndAPvWhichThenBinds() throws IOException {
        loopClass("loop", "Delete", "Immediate", Map.of("fsType", "ext4"));
        objects.pvcs.add(pvc("c", "1Gi", "ReadWriteOncePod").editSpec().withStorageClassName("loop").endSpec()
                .build());
        PersistentVolumeController c = controller();

        assertEquals(1, c.syncOnce()); // Provision
        Path file = backing("pvc-uid-c");
        assertEquals(1L << 30, Files.size(file));
        assertTrue(Files.isRegularFile(record("pvc-uid-c")));
        PersistentVolume made = find(c.persistentVolumes(), "pvc-uid-c");
        assertEquals(new Quantity("1Gi"), made.getSpec().getCapacity().get("storage"));
        assertEquals(List.of("ReadWriteOncePod"), made.getSpec().getAccessModes());
        assertEquals("Filesystem", made.getSpec().getVolumeMode());
        assertEquals("loop", made.getSpec().getStorageClassName());
        assertEquals("Delete", made.getSpec().getPersistentVolumeReclaimPolicy());
        assertEquals(file.toString(), made.getSpec().getLocal().getPath());
        assertEquals("ext4", made.getSpec().getLocal().getFsType());
        assertEquals(LOOP, made.getMetadata().getAnnotations().get("pv.kubernetes.io/provisioned-by"));
        assertEquals(file.toString(), made.getMetadata().getAnnotations().get("skiff.dev/backing-file"));
        assertEquals("uid-c", made.getSpec().getClaimRef().getUid());
        assertNull(made.getSpec().getNodeAffinity(), "a node without a hostname label: no affinity");
        assertEquals("waiting for a volume to be created by provisioner \"skiff.dev/loopback\"",
                claim(c, "c").getMetadata().getAnnotations().get(MSG));

        assertEquals(1, c.syncOnce()); // Bind
        assertEquals("Bound", find(c.persistentVolumes(), "pvc-uid-c").getStatus().getPhase());
        assertEquals("pvc-uid-c", claim(c, "c").getSpec().getVolumeName());
        assertEquals("pvc-uid-c", c.boundVolume("ns", "c").orElseThrow().getMetadata().getName());

        byte[] saved = Files.readAllBytes(root.resolve("storage/binding-state.json"));
        assertEquals(0, c.syncOnce());
        assertEquals(1, c.persistentVolumes().size());
        assertEquals(new String(saved), Files.readString(root.resolve("storage/binding-state.json")));
    }

    @Test
    void afterARestartNothingIsReleasedOrDeletedBeforeTheSourcesHaveDelivered() throws IOException {
        loopClass("loop", "Delete", "Immediate", Map.of());
        objects.pvcs.add(classClaim("data", "10Mi", "loop"));
        PersistentVolumeController first = controller();
        first.syncOnce();
        first.syncOnce();
        assertTrue(first.boundVolume("ns", "data").isPresent());
        first.close();

        // a new process: the manifest directory is not read yet, so the claim is not there
        objects.pvcs.clear();
        objects.synced = false;
        PersistentVolumeController second = controller();
        assertEquals(0, second.syncOnce());
        assertTrue(Files.exists(backing("pvc-uid-data")), "the volume of a claim not read yet was deleted");
        objects.pvcs.add(classClaim("data", "10Mi", "loop"));
        objects.synced = true;
        assertEquals(0, second.syncOnce(), "the claim is still bound to its volume: nothing to do");
        assertTrue(second.boundVolume("ns", "data").isPresent());
    }

    @Test
    void blockClaimGetsABlockVolumeWithoutFsType() throws IOException {
        loopClass("loop", "Delete", "Immediate", Map.of());
        objects.pvcs.add(pvc("b", "10Mi").editSpec().withStorageClassName("loop").withVolumeMode("Block").endSpec()
                .build());
        PersistentVolumeController c = controller(t -> false); // no mkfs at all: Block does not need one
        assertEquals(1, c.syncOnce());
        assertEquals(1, c.syncOnce());
        PersistentVolume pv = c.boundVolume("ns", "b").orElseThrow();
        assertEquals("Block", pv.getSpec().getVolumeMode());
        assertNull(pv.getSpec().getLocal().getFsType());
        assertEquals(10L << 20, Files.size(backing("pvc-uid-b")));
    }

    @Test
    void fsTypeWithoutItsMkfsIsRefusedInTheClaimStatus() {
        loopClass("xfs", "Delete", "Immediate", Map.of("fsType", "xfs"));
        objects.pvcs.add(classClaim("c", "1Gi", "xfs"));
        PersistentVolumeController c = controller(t -> t.equals("ext4"));
        assertEquals(1, c.syncOnce());
        PersistentVolumeClaim pending = claim(c, "c");
        assertEquals("Pending", pending.getStatus().getPhase());
        assertEquals("failed to provision volume with StorageClass \"xfs\": fsType \"xfs\" is not supported on "
                + "this node: mkfs.xfs not found", pending.getMetadata().getAnnotations().get(MSG));
        assertTrue(c.persistentVolumes().isEmpty());
        assertFalse(Files.exists(backing("pvc-uid-c")));
        // Retried every pass, and the state (with the message) is stable.
        assertEquals(1, c.syncOnce());
        assertEquals(pending.getMetadata().getAnnotations(), claim(c, "c").getMetadata().getAnnotations());
    }

    @Test
    void waitForFirstConsumerProvisionsOnlyOnceTheClaimIsUsed() {
        loopClass("wait", "Delete", "WaitForFirstConsumer", Map.of());
        objects.pvcs.add(classClaim("c", "1Gi", "wait"));
        PersistentVolumeController c = controller();
        assertEquals(0, c.syncOnce());
        assertEquals(0, c.syncOnce());
        assertTrue(c.persistentVolumes().isEmpty());
        assertEquals("waiting for first consumer to be created before binding",
                claim(c, "c").getMetadata().getAnnotations().get(MSG));
        assertFalse(Files.exists(backing("pvc-uid-c")));

        objects.inUse.add("ns/c");
        assertEquals(1, c.syncOnce());
        assertTrue(Files.exists(backing("pvc-uid-c")));
        assertEquals(1, c.syncOnce());
        assertEquals("Bound", claim(c, "c").getStatus().getPhase());
    }

    @Test
    void deletingTheClaimWithDeleteRemovesFileAndPvOnceDetached() {
        loopClass("loop", "Delete", "Immediate", Map.of());
        objects.pvcs.add(classClaim("c", "1Gi", "loop"));
        PersistentVolumeController c = controller();
        c.syncOnce();
        c.syncOnce();
        Path file = backing("pvc-uid-c");
        assertTrue(Files.exists(file));

        objects.pvcs.clear();
        attached.put(file, List.of(Path.of("/dev/loop7")));
        assertEquals(1, c.syncOnce()); // DeleteVolume, refused while attached
        PersistentVolume busy = find(c.persistentVolumes(), "pvc-uid-c");
        assertEquals("Failed", busy.getStatus().getPhase());
        assertTrue(busy.getStatus().getMessage().contains("/dev/loop7"), busy.getStatus().getMessage());
        assertTrue(Files.exists(file));
        assertTrue(Files.exists(record("pvc-uid-c")));

        attached.clear();
        assertEquals(1, c.syncOnce()); // retried, and done
        assertFalse(Files.exists(file));
        assertFalse(Files.exists(record("pvc-uid-c")));
        assertTrue(c.persistentVolumes().isEmpty());
        assertEquals(0, c.syncOnce());
    }

    @Test
    void deletingTheClaimWithRetainLeavesTheVolumeReleasedAndTheFile() {
        loopClass("keep", "Retain", "Immediate", Map.of());
        objects.pvcs.add(classClaim("c", "1Gi", "keep"));
        PersistentVolumeController c = controller();
        c.syncOnce();
        c.syncOnce();
        objects.pvcs.clear();
        assertEquals(0, c.syncOnce());
        PersistentVolume released = find(c.persistentVolumes(), "pvc-uid-c");
        assertEquals("Released", released.getStatus().getPhase());
        assertEquals("Retain", released.getSpec().getPersistentVolumeReclaimPolicy());
        assertEquals("uid-c", released.getSpec().getClaimRef().getUid());
        assertTrue(Files.exists(backing("pvc-uid-c")));
        assertTrue(c.boundVolume("ns", "c").isEmpty());
    }

    @Test
    void manifestVolumeWithDeleteIsMarkedFailed() {
        objects.pvs.add(pv("m", "1Gi").editSpec().withPersistentVolumeReclaimPolicy("Delete").endSpec().build());
        objects.pvcs.add(pvc("c", "1Gi").build());
        PersistentVolumeController c = controller();
        c.syncOnce();
        objects.pvcs.clear();
        assertEquals(1, c.syncOnce());
        PersistentVolume failed = find(c.persistentVolumes(), "m");
        assertEquals("Failed", failed.getStatus().getPhase());
        assertTrue(failed.getStatus().getMessage().contains("defined by a manifest"), failed.getStatus().getMessage());
    }

    @Test
    void restartReloadsStateAndProvisionedVolumesAndChangesNothing() throws IOException {
        loopClass("loop", "Delete", "Immediate", Map.of());
        objects.pvs.add(pv("static", "1Gi").build());
        objects.pvcs.add(pvc("s", "1Gi").build());
        objects.pvcs.add(classClaim("c", "2Gi", "loop"));
        PersistentVolumeController first = controller();
        first.syncOnce();
        first.syncOnce();
        assertEquals(0, first.syncOnce());
        List<PersistentVolume> pvsBefore = first.persistentVolumes();
        List<PersistentVolumeClaim> pvcsBefore = first.persistentVolumeClaims();
        first.close();
        Path stateFile = root.resolve("storage/binding-state.json");
        String stateBefore = Files.readString(stateFile);
        var modified = Files.getLastModifiedTime(stateFile);

        PersistentVolumeController second = controller();
        second.start();
        assertEquals(pvsBefore, second.persistentVolumes());
        assertEquals(pvcsBefore, second.persistentVolumeClaims());
        assertEquals(0, second.syncOnce());
        assertEquals(pvsBefore, second.persistentVolumes());
        assertEquals(stateBefore, Files.readString(stateFile));
        assertEquals(modified, Files.getLastModifiedTime(stateFile));
        assertEquals(2L << 30, Files.size(backing("pvc-uid-c")));
    }

    @Test
    void theThreadBindsWhenWoken() throws InterruptedException {
        loopClass("loop", "Delete", "Immediate", Map.of());
        PersistentVolumeController c = controller();
        c.start();
        objects.pvcs.add(classClaim("c", "1Gi", "loop"));
        c.objectsChanged();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (c.boundVolume("ns", "c").isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals("pvc-uid-c", c.boundVolume("ns", "c").orElseThrow().getMetadata().getName());
        assertThrows(IllegalStateException.class, c::start);
    }

    @Test
    void corruptStateRefusesToStart() throws IOException {
        Files.createDirectories(root.resolve("storage"));
        Files.writeString(root.resolve("storage/binding-state.json"), "{\"version\": 1, \"volumes\": ");
        PersistentVolumeController c = controller();
        IllegalStateException e = assertThrows(IllegalStateException.class, c::start);
        assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
        assertThrows(IllegalStateException.class, c::syncOnce);
    }

    @Test
    void corruptProvisionedRecordRefusesToStart() throws IOException {
        Files.createDirectories(root.resolve("storage/provisioned"));
        Files.writeString(record("pvc-x"), "{}");
        IllegalStateException e = assertThrows(IllegalStateException.class, controller()::start);
        assertTrue(e.getMessage().contains("pvc-x.json is corrupt"), e.getMessage());
    }

    @Test
    void aProvisionedVolumeIsPinnedToThisNodesHostnameAndKeepsItAcrossARestart() {
        objects.nodeLabels = Map.of("kubernetes.io/hostname", "node-a", "kubernetes.io/os", "linux");
        loopClass("loop", "Delete", "Immediate", Map.of());
        objects.pvcs.add(pvc("c", "1Gi").editSpec().withStorageClassName("loop").endSpec().build());
        PersistentVolumeController c = controller();
        c.syncOnce();
        c.syncOnce();
        PersistentVolume made = find(c.persistentVolumes(), "pvc-uid-c");
        assertEquals(NodeAffinities.onHost("node-a"), made.getSpec().getNodeAffinity());
        assertEquals("Bound", made.getStatus().getPhase());
        PersistentVolumeController again = controller();
        again.syncOnce();
        assertEquals(NodeAffinities.onHost("node-a"),
                find(again.persistentVolumes(), "pvc-uid-c").getSpec().getNodeAffinity(), "after a restart");
    }

    @Test
    void provisionedRecordRoundTrips() {
        ProvisionedVolume v = new ProvisionedVolume("pvc-1", new ClaimRef("ns", "c", "1"), "1Gi",
                List.of("ReadWriteOnce"), "Filesystem", "loop", "Delete", Path.of("/x/pvc-1.img"), "ext4");
        assertEquals(v, ProvisionedVolume.fromJson(Json.parse(Json.write(v.toJson()))));
        ProvisionedVolume block = new ProvisionedVolume("pvc-2", new ClaimRef("ns", "b", "2"), "1Mi",
                List.of(), "Block", "loop", "Retain", Path.of("/x/pvc-2.img"), null);
        assertEquals(block, ProvisionedVolume.fromJson(Json.parse(Json.write(block.toJson()))));
        ProvisionedVolume pinned = new ProvisionedVolume("pvc-3", new ClaimRef("ns", "p", "3"), "1Mi",
                List.of(), "Filesystem", "loop", "Retain", Path.of("/x/pvc-3.img"), "ext4", "node-a");
        assertEquals(pinned, ProvisionedVolume.fromJson(Json.parse(Json.write(pinned.toJson()))));
        assertThrows(IllegalArgumentException.class, () -> ProvisionedVolume.fromJson(Json.parse("{\"version\": 2}")));
    }

    @Test
    void mkfsLookupFindsNoToolForAnUnknownType() {
        assertFalse(PersistentVolumeController.mkfsInstalled("skiffnosuchfs"));
    }
}
