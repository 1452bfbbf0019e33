package dev.skiff.volume.pv;

import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.skiff.volume.pv.PvFixtures.preBound;
import static dev.skiff.volume.pv.PvFixtures.pv;
import static dev.skiff.volume.pv.PvFixtures.pvc;
import static dev.skiff.volume.pv.PvFixtures.selector;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VolumeBinderTest {
    private final VolumeBinder binder = new VolumeBinder();

    private BindingResult sync(List<PersistentVolume> pvs, List<PersistentVolumeClaim> pvcs, BindingState prev) {
        return sync(pvs, pvcs, prev, Map.of(), Set.of());
    }

    private BindingResult sync(List<PersistentVolume> pvs, List<PersistentVolumeClaim> pvcs, BindingState prev,
                               Map<String, StorageClassInfo> classes, Set<String> inUse) {
        BindingResult r = binder.sync(new VolumeBinder.Inputs(pvs, pvcs, prev, classes, inUse));
        // Every pass must be a fixed point: the binder run on its own output changes nothing and binds nothing.
        BindingResult again = binder.sync(new VolumeBinder.Inputs(pvs, pvcs, r.state(), classes, inUse));
        assertEquals(r.state(), again.state(), "second pass changed the state");
        assertTrue(again.decisions().stream().noneMatch(
                d -> d instanceof BindingDecision.Bind || d instanceof BindingDecision.Unbind), again::toString);
        return r;
    }

    private BindingResult sync(List<PersistentVolume> pvs, List<PersistentVolumeClaim> pvcs) {
        return sync(pvs, pvcs, BindingState.EMPTY);
    }

    private static void assertBound(BindingState s, String pv, String claim) {
        assertEquals(new ClaimStatus(ClaimPhase.Bound, pv, ""), s.claim("ns/" + claim));
        assertEquals(new VolumeStatus(VolumePhase.Bound, new ClaimRef("ns", claim, "uid-" + claim), ""),
                s.volume(pv));
    }

    private static void assertPending(BindingState s, String claim, String message) {
        assertEquals(new ClaimStatus(ClaimPhase.Pending, null, message), s.claim("ns/" + claim));
    }

    @Test
    void bindsTheSmallestVolumeThatIsBigEnough() {
        BindingResult r = sync(List.of(pv("big", "10Gi").build(), pv("small", "1Gi").build(),
                pv("mid", "2Gi").build(), pv("tiny", "500Mi").build()), List.of(pvc("c", "1Gi").build()));
        assertBound(r.state(), "small", "c");
        assertEquals(List.of(new BindingDecision.Bind("small", new ClaimRef("ns", "c", "uid-c"))), r.decisions());
        for (String free : List.of("big", "mid", "tiny")) {
            assertEquals(new VolumeStatus(VolumePhase.Available, null, ""), r.state().volume(free));
        }
    }

    @Test
    void twoClaimsNeverGetTheSameVolume() {
        BindingResult r = sync(List.of(pv("a", "1Gi").build(), pv("b", "5Gi").build()),
                List.of(pvc("c1", "1Gi").build(), pvc("c2", "1Gi").build()));
        assertBound(r.state(), "a", "c1");
        assertBound(r.state(), "b", "c2");
    }

    @Test
    void accessModesMustBeContainedAndFewestModesArePreferred() {
        BindingResult r = sync(List.of(pv("rwo", "1Gi", "ReadWriteOnce").build(),
                        pv("rwx-small", "1Gi", "ReadWriteMany", "ReadWriteOnce").build(),
                        pv("rox-many", "5Gi", "ReadOnlyMany", "ReadWriteOnce", "ReadWriteMany").build(),
                        pv("rox", "5Gi", "ReadOnlyMany").build()),
                List.of(pvc("many", "1Gi", "ReadWriteMany").build(), pvc("ro", "1Gi", "ReadOnlyMany").build(),
                        pvc("pod", "1Gi", "ReadWriteOncePod").build()));
        assertBound(r.state(), "rwx-small", "many");
        assertBound(r.state(), "rox", "ro"); // one mode beats three, though both are 5Gi
        assertPending(r.state(), "pod", "no persistent volumes available for this claim and no storage class is set");
    }

    @Test
    void storageClassMustMatchAndEmptyMatchesEmpty() {
        BindingResult r = sync(List.of(pv("fast", "1Gi").editSpec().withStorageClassName("fast").endSpec().build(),
                        pv("plain", "1Gi").build(),
                        pv("beta", "1Gi").editMetadata().withAnnotations(
                                Map.of(VolumeMatcher.BETA_CLASS_ANNOTATION, "slow")).endMetadata().build()),
                List.of(pvc("wants-fast", "1Gi").editSpec().withStorageClassName("fast").endSpec().build(),
                        pvc("wants-none", "1Gi").build(),
                        pvc("wants-slow", "1Gi").editSpec().withStorageClassName("slow").endSpec().build(),
                        pvc("wants-gold", "1Gi").editSpec().withStorageClassName("gold").endSpec().build()));
        assertBound(r.state(), "fast", "wants-fast");
        assertBound(r.state(), "plain", "wants-none");
        assertBound(r.state(), "beta", "wants-slow");
        assertPending(r.state(), "wants-gold", "storageclass.storage.k8s.io \"gold\" not found");
    }

    @Test
    void volumeModeMustMatchWithFilesystemAsDefault() {
        BindingResult r = sync(List.of(pv("block", "1Gi").editSpec().withVolumeMode("Block").endSpec().build(),
                        pv("fs", "5Gi").editSpec().withVolumeMode("Filesystem").endSpec().build()),
                List.of(pvc("b", "1Gi").editSpec().withVolumeMode("Block").endSpec().build(),
                        pvc("f", "1Gi").build()));
        assertBound(r.state(), "block", "b");
        assertBound(r.state(), "fs", "f");
        BindingResult none = sync(List.of(pv("block", "1Gi").editSpec().withVolumeMode("Block").endSpec().build()),
                List.of(pvc("f", "1Gi").build()));
        assertPending(none.state(), "f", "no persistent volumes available for this claim and no storage class is set");
    }

    @Test
    void selectorMatchLabelsAndEveryOperator() {
        List<PersistentVolume> pvs = List.of(
                pv("ssd-a", "1Gi").editMetadata().withLabels(Map.of("disk", "ssd", "zone", "a")).endMetadata().build(),
                pv("hdd-b", "2Gi").editMetadata().withLabels(Map.of("disk", "hdd", "zone", "b")).endMetadata().build(),
                pv("bare", "3Gi").build());
        Map<String, String> expect = Map.of(
                "In", "hdd-b", "NotIn", "bare", "Exists", "ssd-a", "DoesNotExist", "bare", "labels", "hdd-b");
        for (Map.Entry<String, String> e : expect.entrySet()) {
            var selector = switch (e.getKey()) {
                case "In" -> selector("disk", "In", "hdd", "nvme");
                case "NotIn" -> new LabelSelectorBuilder().addNewMatchExpression().withKey("disk").withOperator("NotIn")
                        .withValues("ssd", "hdd").endMatchExpression().build();
                case "Exists" -> selector("zone", "Exists");
                case "DoesNotExist" -> selector("zone", "DoesNotExist");
                default -> new LabelSelectorBuilder().withMatchLabels(Map.of("zone", "b")).build();
            };
            BindingResult r = sync(pvs, List.of(pvc("c", "1Gi").editSpec().withSelector(selector).endSpec().build()));
            assertBound(r.state(), e.getValue(), "c");
        }
        // matchLabels and matchExpressions are ANDed: nothing is both zone=a and disk=hdd.
        var both = new LabelSelectorBuilder().withMatchLabels(Map.of("zone", "a"))
                .addNewMatchExpression().withKey("disk").withOperator("In").withValues("hdd").endMatchExpression()
                .build();
        BindingResult r = sync(pvs, List.of(pvc("c", "1Gi").editSpec().withSelector(both).endSpec().build()));
        assertPending(r.state(), "c", "no persistent volumes available for this claim and no storage class is set");
    }

    @Test
    void invalidSelectorLeavesTheClaimPendingWithTheError() {
        BindingResult r = sync(List.of(pv("a", "1Gi").build()),
                List.of(pvc("c", "1Gi").editSpec().withSelector(selector("k", "Near", "x")).endSpec().build()));
        assertEquals(ClaimPhase.Pending, r.state().claim("ns/c").phase());
        assertTrue(r.state().claim("ns/c").message().contains("\"Near\" is not a valid label selector operator"),
                r.state().claim("ns/c").message());
        assertEquals(VolumePhase.Available, r.state().volume("a").phase());
    }

    @Test
    void preBoundVolumeGoesOnlyToItsClaimEvenWhenBigger() {
        BindingResult r = sync(List.of(preBound(pv("reserved", "1Gi"), "ns", "owner", ""),
                        preBound(pv("big", "10Gi"), "ns", "other", null), pv("free", "5Gi").build()),
                List.of(pvc("c", "1Gi").build(), pvc("other", "1Gi").build()));
        assertBound(r.state(), "free", "c");
        assertBound(r.state(), "big", "other");
        // Reserved for a claim that does not exist yet: Available, but nobody else gets it.
        assertEquals(new VolumeStatus(VolumePhase.Available, new ClaimRef("ns", "owner", ""), ""),
                r.state().volume("reserved"));
        BindingResult later = sync(List.of(preBound(pv("reserved", "1Gi"), "ns", "owner", "")),
                List.of(pvc("owner", "1Gi").build()), r.state());
        assertBound(later.state(), "reserved", "owner");
    }

    @Test
    void preBoundVolumeWithAnotherUidIsNotForARecreatedClaim() {
        BindingResult r = sync(List.of(preBound(pv("v", "1Gi"), "ns", "c", "old-uid")),
                List.of(pvc("c", "1Gi").build()));
        assertPending(r.state(), "c", "no persistent volumes available for this claim and no storage class is set");
        assertEquals(VolumePhase.Released, r.state().volume("v").phase());
    }

    @Test
    void preBoundClaimTakesOnlyItsVolumeAndOnlyIfItFits() {
        List<PersistentVolume> pvs = List.of(pv("small", "1Gi").build(), pv("named", "5Gi").build(),
                pv("tiny", "100Mi").build(), pv("rwx", "5Gi", "ReadWriteMany").build());
        BindingResult r = sync(pvs, List.of(
                pvc("c", "1Gi").editSpec().withVolumeName("named").endSpec().build(),
                pvc("too-big", "1Gi").editSpec().withVolumeName("tiny").endSpec().build(),
                pvc("modes", "1Gi", "ReadWriteOnce").editSpec().withVolumeName("rwx").endSpec().build(),
                pvc("ghost", "1Gi").editSpec().withVolumeName("nope").endSpec().build()));
        assertBound(r.state(), "named", "c");
        assertPending(r.state(), "too-big", "Cannot bind to requested volume \"tiny\": requested PV is too small");
        assertPending(r.state(), "modes", "Cannot bind to requested volume \"rwx\": incompatible accessMode");
        assertPending(r.state(), "ghost", "waiting for requested volume \"nope\" to be created");
        assertEquals(VolumePhase.Available, r.state().volume("small").phase());
        assertEquals(VolumePhase.Available, r.state().volume("tiny").phase());
    }

    @Test
    void preBoundClaimDoesNotStealAVolumeBoundToAnother() {
        BindingResult first = sync(List.of(pv("v", "1Gi").build()), List.of(pvc("a", "1Gi").build()));
        BindingResult r = sync(List.of(pv("v", "1Gi").build()),
                List.of(pvc("a", "1Gi").build(), pvc("b", "1Gi").editSpec().withVolumeName("v").endSpec().build()),
                first.state());
        assertBound(r.state(), "v", "a");
        assertPending(r.state(), "b", "volume \"v\" already bound to a different claim.");
    }

    @Test
    void claimTooBigForEveryVolumeStaysPending() {
        BindingResult r = sync(List.of(pv("a", "1Gi").build(), pv("b", "2Gi").build()),
                List.of(pvc("huge", "3Gi").build()));
        assertPending(r.state(), "huge", "no persistent volumes available for this claim and no storage class is set");
        assertTrue(r.decisions().isEmpty());
    }

    @Test
    void provisioningMessagesAndDecisions() {
        Map<String, StorageClassInfo> classes = Map.of(
                "loop", new StorageClassInfo("skiff.dev/loopback", true, false),
                "ext", new StorageClassInfo("example.com/nfs", false, false),
                "wait", new StorageClassInfo("skiff.dev/loopback", true, true));
        List<PersistentVolumeClaim> pvcs = List.of(
                pvc("l", "1Gi").editSpec().withStorageClassName("loop").endSpec().build(),
                pvc("e", "1Gi").editSpec().withStorageClassName("ext").endSpec().build(),
                pvc("w", "1Gi").editSpec().withStorageClassName("wait").endSpec().build(),
                pvc("used", "1Gi").editSpec().withStorageClassName("wait").endSpec().build());
        BindingResult r = sync(List.of(), pvcs, BindingState.EMPTY, classes, Set.of("ns/used"));
        assertPending(r.state(), "l", "waiting for a volume to be created by provisioner \"skiff.dev/loopback\"");
        assertPending(r.state(), "e", "waiting for a volume to be created, either by external provisioner "
                + "\"example.com/nfs\" or manually created by system administrator");
        assertPending(r.state(), "w", "waiting for first consumer to be created before binding");
        assertPending(r.state(), "used", "waiting for a volume to be created by provisioner \"skiff.dev/loopback\"");
        assertEquals(Set.of(new BindingDecision.Provision("ns/l", "uid-l", "loop", "skiff.dev/loopback"),
                        new BindingDecision.Provision("ns/used", "uid-used", "wait", "skiff.dev/loopback")),
                Set.copyOf(r.decisions()));
    }

    @Test
    void waitForFirstConsumerBindsAnExistingVolumeOnlyOnceUsed() {
        Map<String, StorageClassInfo> classes = Map.of("wait", new StorageClassInfo("x", false, true));
        List<PersistentVolume> pvs = List.of(pv("v", "1Gi").editSpec().withStorageClassName("wait").endSpec().build());
        List<PersistentVolumeClaim> pvcs =
                List.of(pvc("c", "1Gi").editSpec().withStorageClassName("wait").endSpec().build());
        BindingResult idle = sync(pvs, pvcs, BindingState.EMPTY, classes, Set.of());
        assertPending(idle.state(), "c", "waiting for first consumer to be created before binding");
        BindingResult used = sync(pvs, pvcs, idle.state(), classes, Set.of("ns/c"));
        assertBound(used.state(), "v", "c");
    }

    @Test
    void waitForFirstConsumerBindsOnlyToAVolumeWhoseNodeAffinityFitsThisNode() {
        Map<String, StorageClassInfo> classes = Map.of("wait", new StorageClassInfo("x", false, true),
                "now", new StorageClassInfo("x", false, false));
        PersistentVolume elsewhere = pv("elsewhere", "1Gi").editSpec().withStorageClassName("wait")
                .withNodeAffinity(NodeAffinities.onHost("node-b")).endSpec().build();
        PersistentVolume here = pv("here", "2Gi").editSpec().withStorageClassName("wait")
                .withNodeAffinity(NodeAffinities.onHost("node-a")).endSpec().build();
        List<PersistentVolumeClaim> pvcs =
                List.of(pvc("c", "1Gi").editSpec().withStorageClassName("wait").endSpec().build());
        Map<String, String> node = Map.of("kubernetes.io/hostname", "node-a");
        BindingResult r = binder.sync(new VolumeBinder.Inputs(List.of(elsewhere, here), pvcs, BindingState.EMPTY,
                classes, Set.of("ns/c"), node));
        assertBound(r.state(), "here", "c");
        BindingResult none = binder.sync(new VolumeBinder.Inputs(List.of(elsewhere), pvcs, BindingState.EMPTY,
                classes, Set.of("ns/c"), node));
        assertEquals(ClaimPhase.Pending, none.state().claim("ns/c").phase(), "bound to another node's volume");
        // an Immediate claim binds regardless, as upstream's controller (the pod then reports the conflict)
        PersistentVolume immediate = pv("imm", "1Gi").editSpec().withStorageClassName("now")
                .withNodeAffinity(NodeAffinities.onHost("node-b")).endSpec().build();
        BindingResult now = binder.sync(new VolumeBinder.Inputs(List.of(immediate),
                List.of(pvc("c", "1Gi").editSpec().withStorageClassName("now").endSpec().build()), BindingState.EMPTY,
                classes, Set.of("ns/c"), node));
        assertBound(now.state(), "imm", "c");
    }

    @Test
    void provisionedVolumeIsBoundToItsClaim() {
        Map<String, StorageClassInfo> classes = Map.of("loop", new StorageClassInfo("skiff.dev/loopback", true, false));
        List<PersistentVolumeClaim> pvcs =
                List.of(pvc("c", "1Gi").editSpec().withStorageClassName("loop").endSpec().build());
        BindingResult asked = sync(List.of(), pvcs, BindingState.EMPTY, classes, Set.of());
        PersistentVolume made = preBound(pv("pvc-uid-c", "1Gi").editSpec().withStorageClassName("loop")
                .withPersistentVolumeReclaimPolicy("Delete").endSpec().editMetadata()
                .withAnnotations(Map.of(VolumeBinder.PROVISIONED_BY, "skiff.dev/loopback")).endMetadata(),
                "ns", "c", "uid-c");
        BindingResult r = sync(List.of(made), pvcs, asked.state(), classes, Set.of());
        assertBound(r.state(), "pvc-uid-c", "c");
        assertTrue(r.decisions().stream().noneMatch(d -> d instanceof BindingDecision.Provision));
    }

    @Test
    void claimDeletionReleasesRetainAndDeletesDelete() {
        List<PersistentVolume> pvs = List.of(
                pv("keep", "1Gi").editSpec().withPersistentVolumeReclaimPolicy("Retain").endSpec().build(),
                pv("drop", "1Gi", "ReadWriteMany").editSpec().withPersistentVolumeReclaimPolicy("Delete").endSpec()
                        .build(),
                pv("old", "1Gi", "ReadOnlyMany").editSpec().withPersistentVolumeReclaimPolicy("Recycle").endSpec()
                        .build());
        BindingResult bound = sync(pvs, List.of(pvc("k", "1Gi", "ReadWriteOnce").build(),
                pvc("d", "1Gi", "ReadWriteMany").build(), pvc("o", "1Gi", "ReadOnlyMany").build()));
        assertBound(bound.state(), "keep", "k");
        assertBound(bound.state(), "drop", "d");
        assertBound(bound.state(), "old", "o");

        BindingResult gone = sync(pvs, List.of(), bound.state());
        ClaimRef k = new ClaimRef("ns", "k", "uid-k");
        ClaimRef d = new ClaimRef("ns", "d", "uid-d");
        assertEquals(new VolumeStatus(VolumePhase.Released, k, ""), gone.state().volume("keep"));
        assertEquals(new VolumeStatus(VolumePhase.Released, d, ""), gone.state().volume("drop"));
        assertEquals(VolumePhase.Failed, gone.state().volume("old").phase());
        assertEquals(List.of(new BindingDecision.DeleteVolume("drop", d)), gone.decisions());
        assertTrue(gone.state().claims().isEmpty());

        // A new claim of the same name does not get the Released volume back.
        BindingResult again = sync(pvs, List.of(pvc("k", "1Gi").editMetadata().withUid("new").endMetadata().build()),
                gone.state());
        assertEquals(VolumePhase.Released, again.state().volume("keep").phase());
        assertEquals(ClaimPhase.Pending, again.state().claim("ns/k").phase());
        // A failed delete is kept Failed (not overwritten by Released) and still asked for.
        BindingResult failed = sync(pvs, List.of(), gone.state().withVolumeFailed("drop", "rm: busy"));
        assertEquals(new VolumeStatus(VolumePhase.Failed, d, "rm: busy"), failed.state().volume("drop"));
        assertTrue(failed.decisions().contains(new BindingDecision.DeleteVolume("drop", d)));
    }

    @Test
    void volumeDeletionMakesItsClaimLost() {
        BindingResult bound = sync(List.of(pv("v", "1Gi").build()), List.of(pvc("c", "1Gi").build()));
        BindingResult lost = sync(List.of(pv("w", "5Gi").build()), List.of(pvc("c", "1Gi").build()), bound.state());
        assertEquals(new ClaimStatus(ClaimPhase.Lost, "v",
                "Bound claim has lost its PersistentVolume. Data on the volume is lost!"), lost.state().claim("ns/c"));
        assertNull(lost.state().volume("v"));
        // Lost is not re-bound elsewhere: the data was on "v".
        assertEquals(new VolumeStatus(VolumePhase.Available, null, ""), lost.state().volume("w"));
    }

    @Test
    void controllerBoundVolumeIsFreedWhenItsClaimIsBoundElsewhere() {
        // State says v1 -> c but c -> v2 (e.g. a crash between the two writes upstream could leave).
        BindingState odd = new BindingState(
                Map.of("v1", new VolumeStatus(VolumePhase.Bound, new ClaimRef("ns", "c", "uid-c"), ""),
                        "v2", new VolumeStatus(VolumePhase.Bound, new ClaimRef("ns", "c", "uid-c"), "")),
                Map.of("ns/c", new ClaimStatus(ClaimPhase.Bound, "v2", "")));
        BindingResult r = sync(List.of(pv("v1", "1Gi").build(), pv("v2", "1Gi").build()),
                List.of(pvc("c", "1Gi").build()), odd);
        assertBound(r.state(), "v2", "c");
        assertEquals(new VolumeStatus(VolumePhase.Available, null, ""), r.state().volume("v1"));
        assertEquals(List.of(new BindingDecision.Unbind("v1", new ClaimRef("ns", "c", "uid-c"))), r.decisions());
    }

    @Test
    void rebuildsTheSameBindingsAfterARestartFromTheSavedState() {
        List<PersistentVolume> pvs = List.of(pv("a", "1Gi").build(), pv("b", "1Gi").build());
        BindingResult first = sync(pvs, List.of(pvc("x", "1Gi").build()));
        // A claim created later, listed first: it must not take x's volume on the next pass.
        BindingResult next = sync(pvs, List.of(pvc("a0", "1Gi").build(), pvc("x", "1Gi").build()), first.state());
        assertBound(next.state(), "a", "x");
        assertBound(next.state(), "b", "a0");
    }

    @Test
    void userPreBoundVolumeKeepsItsReservationWhenItsClaimIsBoundElsewhere() {
        // The claim names v2; the user also reserved v1 (with the uid) for it. v1 loses the uid, keeps the name.
        List<PersistentVolume> pvs = List.of(preBound(pv("v1", "1Gi"), "ns", "c", "uid-c"), pv("v2", "1Gi").build());
        BindingResult r = sync(pvs, List.of(pvc("c", "1Gi").editSpec().withVolumeName("v2").endSpec().build()));
        assertBound(r.state(), "v2", "c");
        assertEquals(new VolumeStatus(VolumePhase.Available, new ClaimRef("ns", "c", ""), ""), r.state().volume("v1"));
        assertEquals(List.of(new BindingDecision.Bind("v2", new ClaimRef("ns", "c", "uid-c")),
                new BindingDecision.Unbind("v1", new ClaimRef("ns", "c", "uid-c"))), r.decisions());
    }

    @Test
    void waitForFirstConsumerStillHonoursAPreBoundVolume() {
        Map<String, StorageClassInfo> classes = Map.of("wait", new StorageClassInfo("x", false, true));
        BindingResult r = sync(List.of(preBound(pv("v", "1Gi").editSpec().withStorageClassName("wait").endSpec(),
                        "ns", "c", "")),
                List.of(pvc("c", "1Gi").editSpec().withStorageClassName("wait").endSpec().build()),
                BindingState.EMPTY, classes, Set.of());
        assertBound(r.state(), "v", "c");
    }

    @Test
    void preBoundVolumeTooSmallForItsClaimIsNotTaken() {
        BindingResult r = sync(List.of(preBound(pv("v", "1Gi"), "ns", "c", "")), List.of(pvc("c", "2Gi").build()));
        assertPending(r.state(), "c", "no persistent volumes available for this claim and no storage class is set");
        assertEquals(new VolumeStatus(VolumePhase.Available, new ClaimRef("ns", "c", ""), ""), r.state().volume("v"));
    }

    @Test
    void twoClaimsBoundToOneVolumeMakeTheWrongOneLost() {
        BindingState odd = new BindingState(
                Map.of("v", new VolumeStatus(VolumePhase.Bound, new ClaimRef("ns", "a", "uid-a"), "")),
                Map.of("ns/a", new ClaimStatus(ClaimPhase.Bound, "v", ""),
                        "ns/b", new ClaimStatus(ClaimPhase.Bound, "v", "")));
        BindingResult r = sync(List.of(pv("v", "1Gi").build()),
                List.of(pvc("a", "1Gi").build(), pvc("b", "1Gi").build()), odd);
        assertBound(r.state(), "v", "a");
        assertEquals(new ClaimStatus(ClaimPhase.Lost, "v",
                "Two claims are bound to the same volume, this one is bound incorrectly"), r.state().claim("ns/b"));
    }

    @Test
    void claimsWithoutUidAreRejected() {
        PersistentVolumeClaim noUid = pvc("c", "1Gi").editMetadata().withUid(null).endMetadata().build();
        assertThrows(IllegalArgumentException.class, () -> binder.sync(new VolumeBinder.Inputs(
                List.of(), List.of(noUid), BindingState.EMPTY, Map.of(), Set.of())));
    }
}
