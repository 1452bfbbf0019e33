package dev.skiff.kubelet.it;

import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * PersistentVolumes, claims and StorageClasses from the manifest directory: binding, loopback provisioning, reclaim
 * policies, and the state across a kill -9, as seen at {@code /persistentvolumes} and {@code /persistentvolumeclaims}
 * and on disk. (Mounting claims into pods is the next step of the storage issue.)
 */
class PersistentVolumeClaimsIT extends KubeletItSupport {
    private static final Duration WAIT = Duration.ofSeconds(60);

    private String storage(String reclaim) {
        return """
                apiVersion: storage.k8s.io/v1
                kind: StorageClass
                metadata: {name: loop-%1$s}
                provisioner: skiff.dev/loopback
                reclaimPolicy: %2$s
                parameters: {fsType: ext4}
                ---
                apiVersion: v1
                kind: PersistentVolumeClaim
                metadata: {name: data, namespace: %3$s}
                spec:
                  storageClassName: loop-%1$s
                  accessModes: [ReadWriteOnce]
                  resources: {requests: {storage: 64Mi}}
                """.formatted(reclaim.toLowerCase(), reclaim, ns);
    }

    private static final String STATIC = """
            apiVersion: v1
            kind: PersistentVolume
            metadata: {name: small}
            spec:
              capacity: {storage: 100Mi}
              accessModes: [ReadWriteOnce]
              storageClassName: ""
              persistentVolumeReclaimPolicy: Retain
              hostPath: {path: /tmp}
            ---
            apiVersion: v1
            kind: PersistentVolume
            metadata: {name: big}
            spec:
              capacity: {storage: 1Gi}
              accessModes: [ReadWriteOnce]
              storageClassName: ""
              persistentVolumeReclaimPolicy: Retain
              hostPath: {path: /tmp}
            """;

    private String claim(String name, String size) {
        return """
                apiVersion: v1
                kind: PersistentVolumeClaim
                metadata: {name: %s, namespace: %s}
                spec:
                  storageClassName: ""
                  accessModes: [ReadWriteOnce]
                  resources: {requests: {storage: %s}}
                """.formatted(name, ns, size);
    }

    private PersistentVolumeClaim awaitClaim(String name, Predicate<PersistentVolumeClaim> p, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        Optional<PersistentVolumeClaim> last = Optional.empty();
        while (System.nanoTime() < deadline) {
            last = kubelet.persistentVolumeClaims().getItems().stream()
                    .filter(c -> c.getMetadata().getName().equals(name) && ns.equals(c.getMetadata().getNamespace())).findFirst();
            if (last.isPresent() && p.test(last.get())) {
                return last.get();
            }
            Thread.sleep(200);
        }
        fail("claim " + name + " not " + what + " within " + WAIT + ": " + last.map(kubelet::toJson).orElse("absent")
                + "\n" + kubelet.logTail());
        return null;
    }

    private Optional<PersistentVolume> volume(String name) {
        return kubelet.persistentVolumes().getItems().stream().filter(v -> v.getMetadata().getName().equals(name)).findFirst();
    }

    private static boolean phase(PersistentVolumeClaim c, String phase) {
        return c.getStatus() != null && phase.equals(c.getStatus().getPhase());
    }

    @Test
    void claimsBindToTheSmallestFittingVolumeAndATooLargeOneWaits() throws Exception {
        kubelet.writeManifest("pvs.yaml", STATIC);
        kubelet.writeManifest("claims.yaml", claim("fits-small", "50Mi") + "---\n" + claim("too-big", "5Gi"));
        PersistentVolumeClaim c = awaitClaim("fits-small", x -> phase(x, "Bound"), "Bound");
        assertEquals("small", c.getSpec().getVolumeName(), "smallest fit");
        PersistentVolume small = volume("small").orElseThrow();
        assertEquals("Bound", small.getStatus().getPhase());
        assertEquals("fits-small", small.getSpec().getClaimRef().getName());
        assertEquals("Available", volume("big").orElseThrow().getStatus().getPhase());
        PersistentVolumeClaim big = awaitClaim("too-big", x -> phase(x, "Pending"), "Pending");
        Thread.sleep(1500);
        assertTrue(phase(awaitClaim("too-big", x -> true, "listed"), "Pending"), "a claim larger than every PV stays Pending");
        assertEquals("Available", volume("big").orElseThrow().getStatus().getPhase());
        assertTrue(String.valueOf(big.getMetadata().getAnnotations()).contains("no persistent volumes available"),
                String.valueOf(big.getMetadata().getAnnotations()));
    }

    @Test
    void loopbackProvisioningThenDeleteRemovesTheBackingFile() throws Exception {
        kubelet.writeManifest("storage.yaml", storage("Delete"));
        PersistentVolumeClaim c = awaitClaim("data", x -> phase(x, "Bound"), "Bound");
        PersistentVolume pv = volume(c.getSpec().getVolumeName()).orElseThrow();
        Path file = Path.of(pv.getSpec().getLocal().getPath());
        assertTrue(file.startsWith(kubelet.rootDir().toRealPath().resolve("storage/loopback")), file.toString());
        assertEquals(64L << 20, Files.size(file));
        Process stat = new ProcessBuilder("stat", "-c", "%b", file.toString()).redirectErrorStream(true).start();
        long blocks = Long.parseLong(new String(stat.getInputStream().readAllBytes()).trim());
        assertTrue(blocks < 64, "the backing file is not sparse: " + blocks + " blocks");
        assertEquals("ext4", pv.getSpec().getLocal().getFsType());

        kubelet.writeManifest("storage.yaml", storage("Delete").substring(0, storage("Delete").indexOf("---")));
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (Files.exists(file) && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertFalse(Files.exists(file), "reclaim Delete keeps the backing file\n" + kubelet.logTail());
        assertTrue(volume(pv.getMetadata().getName()).isEmpty(), "the provisioned PV is still listed");
    }

    @Test
    void retainKeepsTheVolumeReleasedAndStateSurvivesKill9() throws Exception {
        kubelet.writeManifest("storage.yaml", storage("Retain"));
        PersistentVolumeClaim c = awaitClaim("data", x -> phase(x, "Bound"), "Bound");
        String pvName = c.getSpec().getVolumeName();
        Path file = Path.of(volume(pvName).orElseThrow().getSpec().getLocal().getPath());
        Files.writeString(file, "marker"); // what a pod would have written (the file stays 64 MiB: write at offset 0)

        kubelet.kill9();
        kubelet.start();
        PersistentVolumeClaim again = awaitClaim("data", x -> phase(x, "Bound"), "Bound after restart");
        assertEquals(pvName, again.getSpec().getVolumeName(), "the claim kept its volume across the restart");
        assertTrue(kubelet.log().lines().noneMatch(l -> l.contains("provisioned for pvc") && l.contains("skiff-2")),
                "nothing provisioned again");

        kubelet.writeManifest("storage.yaml", storage("Retain").substring(0, storage("Retain").indexOf("---")));
        long deadline = System.nanoTime() + WAIT.toNanos();
        Optional<PersistentVolume> pv = volume(pvName);
        while (System.nanoTime() < deadline && !(pv.isPresent() && "Released".equals(pv.get().getStatus().getPhase()))) {
            Thread.sleep(200);
            pv = volume(pvName);
        }
        assertEquals("Released", pv.map(v -> v.getStatus().getPhase()).orElse("absent"));
        assertTrue(Files.readString(file).startsWith("marker"), "Retain keeps the data");
    }
}
