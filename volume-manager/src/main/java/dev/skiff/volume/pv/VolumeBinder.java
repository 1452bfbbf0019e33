package dev.skiff.volume.pv;

import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The binding half of upstream's PersistentVolumeController (pv_controller.go syncClaim and syncVolume) as a pure
 * function: PVs, PVCs and the previous {@link BindingState} in, the next state and the decisions out. Nothing is
 * written here. One pass converges: running it again on its own output changes nothing.
 *
 * <p>The manifests are the user's and are never changed; the binder's claimRef and volumeName live in the state. A
 * PV's spec.claimRef and a PVC's spec.volumeName are the user's pre-bindings. Claims must carry metadata.uid.
 */
public final class VolumeBinder {
    static final String PROVISIONED_BY = "pv.kubernetes.io/provisioned-by";
    private static final Logger log = LoggerFactory.getLogger(VolumeBinder.class);

    /**
     * The inputs of one pass; {@code claimsInUse} are the keys of claims some pod on this node uses,
     * {@code nodeLabels} this node's labels (a WaitForFirstConsumer claim binds only to a PV whose nodeAffinity
     * they satisfy, as upstream's scheduler binds it).
     */
    public record Inputs(List<PersistentVolume> volumes, List<PersistentVolumeClaim> claims, BindingState previous,
                         Map<String, StorageClassInfo> storageClasses, Set<String> claimsInUse,
                         Map<String, String> nodeLabels) {
        public Inputs {
            volumes = List.copyOf(volumes);
            claims = List.copyOf(claims);
            Objects.requireNonNull(previous, "previous");
            storageClasses = Map.copyOf(storageClasses);
            claimsInUse = Set.copyOf(claimsInUse);
            nodeLabels = Map.copyOf(nodeLabels);
        }

        /** A node without labels. */
        public Inputs(List<PersistentVolume> volumes, List<PersistentVolumeClaim> claims, BindingState previous,
                      Map<String, StorageClassInfo> storageClasses, Set<String> claimsInUse) {
            this(volumes, claims, previous, storageClasses, claimsInUse, Map.of());
        }
    }

    /** Computes the next state; see the class comment. */
    public BindingResult sync(Inputs in) {
        return new Pass(in).run();
    }

    /** The mutable working copy of one pass. */
    private static final class Pass {
        private final Inputs in;
        private final Map<String, PersistentVolume> pvs = new TreeMap<>();
        private final Map<String, PersistentVolumeClaim> pvcs = new TreeMap<>();
        private final Map<String, VolumeStatus> vols = new TreeMap<>();
        private final Map<String, ClaimStatus> claims = new TreeMap<>();
        private final List<BindingDecision> decisions = new ArrayList<>();

        Pass(Inputs in) {
            this.in = in;
            for (PersistentVolume pv : in.volumes()) {
                String name = pv.getMetadata().getName();
                if (pvs.put(name, pv) != null) {
                    throw new IllegalArgumentException("two PersistentVolumes named " + name);
                }
                vols.put(name, initialVolume(pv, in.previous().volume(name)));
            }
            for (PersistentVolumeClaim pvc : in.claims()) {
                String key = ClaimKeys.key(pvc);
                String uid = pvc.getMetadata().getUid();
                if (uid == null || uid.isEmpty()) {
                    throw new IllegalArgumentException("PersistentVolumeClaim " + key + " has no metadata.uid");
                }
                if (pvcs.put(key, pvc) != null) {
                    throw new IllegalArgumentException("two PersistentVolumeClaims named " + key);
                }
                claims.put(key, initialClaim(pvc, in.previous().claim(key)));
            }
        }

        /** The previous status, re-seeded from spec.claimRef when the user's pre-binding names another claim. */
        private static VolumeStatus initialVolume(PersistentVolume pv, VolumeStatus prev) {
            ClaimRef spec = ClaimRef.fromSpec(pv.getSpec().getClaimRef());
            if (prev == null) {
                return new VolumeStatus(VolumePhase.Available, spec, "");
            }
            if (spec != null && (prev.claimRef() == null || !prev.claimRef().key().equals(spec.key()))) {
                return new VolumeStatus(prev.phase(), spec, prev.message());
            }
            return prev;
        }

        /** The previous status, re-seeded when the user's spec.volumeName names another volume than the bound one. */
        private static ClaimStatus initialClaim(PersistentVolumeClaim pvc, ClaimStatus prev) {
            String spec = specVolumeName(pvc);
            if (prev == null) {
                return new ClaimStatus(ClaimPhase.Pending, spec, "");
            }
            if (spec != null && prev.volumeName() != null && !spec.equals(prev.volumeName())) {
                return new ClaimStatus(ClaimPhase.Pending, spec, "");
            }
            return prev;
        }

        BindingResult run() {
            // Claims pre-bound by the user first, so a free volume one of them names is not given to another.
            List<PersistentVolumeClaim> order = new ArrayList<>(pvcs.values());
            order.sort(Comparator.comparing((PersistentVolumeClaim c) -> specVolumeName(c) == null)
                    .thenComparing(c -> String.valueOf(c.getMetadata().getCreationTimestamp()))
                    .thenComparing(ClaimKeys::key));
            for (PersistentVolumeClaim claim : order) {
                ClaimStatus cs = claims.get(ClaimKeys.key(claim));
                if (cs.bindCompleted()) {
                    syncBoundClaim(claim, cs);
                } else {
                    syncUnboundClaim(claim);
                }
            }
            for (PersistentVolume pv : pvs.values()) {
                syncVolume(pv);
            }
            return new BindingResult(new BindingState(vols, claims), decisions);
        }

        private void syncBoundClaim(PersistentVolumeClaim claim, ClaimStatus cs) {
            PersistentVolume pv = pvs.get(cs.volumeName());
            if (pv == null) {
                setClaim(claim, ClaimPhase.Lost, cs.volumeName(),
                        "Bound claim has lost its PersistentVolume. Data on the volume is lost!");
                return;
            }
            ClaimRef ref = vols.get(cs.volumeName()).claimRef();
            if (ref == null || ref.refersTo(claim)) {
                bind(pv, claim);
            } else {
                setClaim(claim, ClaimPhase.Lost, cs.volumeName(),
                        "Two claims are bound to the same volume, this one is bound incorrectly");
            }
        }

        private void syncUnboundClaim(PersistentVolumeClaim claim) {
            String wanted = specVolumeName(claim);
            if (wanted != null) {
                syncPreboundClaim(claim, wanted);
                return;
            }
            String className = VolumeMatcher.claimClass(claim);
            StorageClassInfo sc = className.isEmpty() ? null : in.storageClasses().get(className);
            boolean delayed = sc != null && sc.waitForFirstConsumer();
            boolean waitForConsumer = delayed && !in.claimsInUse().contains(ClaimKeys.key(claim));
            VolumeMatcher.Candidate match;
            try {
                // a delayed claim with its consumer binds as upstream's scheduler does: on this node, so only to a
                // volume whose nodeAffinity this node satisfies (an Immediate claim binds regardless, as upstream)
                List<VolumeMatcher.Candidate> candidates = pvs.values().stream()
                        .filter(pv -> !delayed || NodeAffinities.conflict(pv, in.nodeLabels()).isEmpty())
                        .map(pv -> new VolumeMatcher.Candidate(pv, vols.get(pv.getMetadata().getName()))).toList();
                match = VolumeMatcher.findBestMatch(claim, candidates, waitForConsumer);
            } catch (IllegalArgumentException e) {
                pending(claim, "error creating internal label selector for claim: " + ClaimKeys.key(claim) + ": "
                        + e.getMessage());
                return;
            }
            if (match != null) {
                bind(match.volume(), claim);
            } else if (waitForConsumer) {
                pending(claim, "waiting for first consumer to be created before binding");
            } else if (className.isEmpty()) {
                pending(claim, "no persistent volumes available for this claim and no storage class is set");
            } else if (sc == null) {
                pending(claim, "storageclass.storage.k8s.io \"" + className + "\" not found");
            } else if (sc.provisionerKnown()) {
                decisions.add(new BindingDecision.Provision(ClaimKeys.key(claim), claim.getMetadata().getUid(),
                        className, sc.provisioner()));
                pending(claim, "waiting for a volume to be created by provisioner \"" + sc.provisioner() + "\"");
            } else {
                pending(claim, "waiting for a volume to be created, either by external provisioner \""
                        + sc.provisioner() + "\" or manually created by system administrator");
            }
        }

        /** The user asked for a volume by spec.volumeName: that one or none. */
        private void syncPreboundClaim(PersistentVolumeClaim claim, String wanted) {
            PersistentVolume pv = pvs.get(wanted);
            if (pv == null) {
                pending(claim, "waiting for requested volume \"" + wanted + "\" to be created");
                return;
            }
            ClaimRef ref = vols.get(wanted).claimRef();
            if (ref != null && !ref.refersTo(claim)) {
                pending(claim, "volume \"" + wanted + "\" already bound to a different claim.");
                return;
            }
            // Upstream skips this check when the volume is pre-bound to the claim too; Skiff checks both ways.
            String why = VolumeMatcher.whyNotSatisfied(pv, claim);
            if (why != null) {
                pending(claim, "Cannot bind to requested volume \"" + wanted + "\": " + why);
            } else {
                bind(pv, claim);
            }
        }

        private void syncVolume(PersistentVolume pv) {
            String name = pv.getMetadata().getName();
            VolumeStatus vs = vols.get(name);
            ClaimRef ref = vs.claimRef();
            if (ref == null || ref.uid().isEmpty()) {
                // Free, or reserved for a claim whose own sync will complete the binding.
                setVolume(name, VolumePhase.Available, ref, "");
                return;
            }
            PersistentVolumeClaim claim = pvcs.get(ref.key());
            if (claim != null && !ref.uid().equals(claim.getMetadata().getUid())) {
                claim = null; // deleted and re-created under the same name: not the claim this volume served
            }
            if (claim == null) {
                release(pv, vs);
                return;
            }
            ClaimStatus cs = claims.get(ref.key());
            if (cs.volumeName() == null) {
                // The claim's sync could not take this volume (it would have otherwise): say why, keep the phase.
                String msg = VolumeMatcher.volumeModeMismatch(claim, pv)
                        ? "Cannot bind PersistentVolume to requested PersistentVolumeClaim \""
                        + claim.getMetadata().getName() + "\" due to incompatible volumeMode." : vs.message();
                setVolume(name, vs.phase(), ref, msg);
            } else if (cs.volumeName().equals(name)) {
                setVolume(name, VolumePhase.Bound, ref, "");
            } else if (isProvisioned(pv) && "Delete".equals(reclaimPolicy(pv))) {
                // Provisioned for this claim, which got another volume: not needed any more.
                release(pv, vs);
            } else {
                // Bound by the binder: free it; pre-bound by the user: keep the reservation, drop the uid.
                ClaimRef kept = ClaimRef.fromSpec(pv.getSpec().getClaimRef()) == null ? null : ref.withoutUid();
                log.info("volume {} unbound from claim {} (uid {}), which is bound to volume {}",
                        name, ref.key(), ref.uid(), cs.volumeName());
                setVolume(name, VolumePhase.Available, kept, "");
                decisions.add(new BindingDecision.Unbind(name, ref));
            }
        }

        /** Upstream: phase Released (Failed is kept), then reclaimVolume by the volume's policy. */
        private void release(PersistentVolume pv, VolumeStatus vs) {
            String name = pv.getMetadata().getName();
            VolumePhase phase = vs.phase();
            String message = vs.message();
            if (phase != VolumePhase.Released && phase != VolumePhase.Failed) {
                log.info("volume {} is released (claim {} uid {} gone) and reclaim policy {} will be executed",
                        name, vs.claimRef().key(), vs.claimRef().uid(), reclaimPolicy(pv));
                phase = VolumePhase.Released;
                message = "";
            }
            switch (reclaimPolicy(pv)) {
                case "Retain" -> {
                    // The data stays; the volume stays Released until an administrator frees it.
                }
                case "Delete" -> decisions.add(new BindingDecision.DeleteVolume(name, vs.claimRef()));
                case "Recycle" -> {
                    phase = VolumePhase.Failed;
                    message = "No recycler plugin found for the volume!";
                }
                default -> {
                    phase = VolumePhase.Failed;
                    message = "Volume has unrecognized PersistentVolumeReclaimPolicy";
                }
            }
            setVolume(name, phase, vs.claimRef(), message);
        }

        private void bind(PersistentVolume pv, PersistentVolumeClaim claim) {
            String name = pv.getMetadata().getName();
            String key = ClaimKeys.key(claim);
            ClaimRef ref = ClaimRef.of(claim);
            VolumeStatus vs = vols.get(name);
            ClaimStatus cs = claims.get(key);
            VolumeStatus nvs = new VolumeStatus(VolumePhase.Bound, ref, "");
            ClaimStatus ncs = new ClaimStatus(ClaimPhase.Bound, name, "");
            if (!nvs.equals(vs) || !ncs.equals(cs)) {
                log.info("claim {} (uid {}) bound to volume {}", key, ref.uid(), name);
                vols.put(name, nvs);
                claims.put(key, ncs);
                decisions.add(new BindingDecision.Bind(name, ref));
            }
        }

        private void pending(PersistentVolumeClaim claim, String message) {
            setClaim(claim, ClaimPhase.Pending, null, message);
        }

        private void setClaim(PersistentVolumeClaim claim, ClaimPhase phase, String volumeName, String message) {
            String key = ClaimKeys.key(claim);
            ClaimStatus next = new ClaimStatus(phase, volumeName, message);
            ClaimStatus prev = claims.put(key, next);
            if (!next.equals(prev)) {
                log.info("claim {} (uid {}) is {}: {}", key, claim.getMetadata().getUid(), phase, message);
            }
        }

        private void setVolume(String name, VolumePhase phase, ClaimRef ref, String message) {
            vols.put(name, new VolumeStatus(phase, ref, message));
        }

        private static boolean isProvisioned(PersistentVolume pv) {
            Map<String, String> a = pv.getMetadata().getAnnotations();
            return a != null && a.containsKey(PROVISIONED_BY);
        }

        /** spec.persistentVolumeReclaimPolicy; the API default is Retain. */
        private static String reclaimPolicy(PersistentVolume pv) {
            String p = pv.getSpec().getPersistentVolumeReclaimPolicy();
            return p == null || p.isEmpty() ? "Retain" : p;
        }
    }

    private static String specVolumeName(PersistentVolumeClaim claim) {
        String v = claim.getSpec().getVolumeName();
        return v == null || v.isEmpty() ? null : v;
    }
}
