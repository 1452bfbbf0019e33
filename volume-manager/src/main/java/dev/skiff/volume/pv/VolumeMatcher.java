package dev.skiff.volume.pv;

import dev.skiff.volume.util.Quantities;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Which PV satisfies a claim: upstream's index.go findBestMatchForClaim, util FindMatchingVolume,
 * checkVolumeSatisfyClaim and the storage helpers (class, volumeMode, access modes).
 */
public final class VolumeMatcher {
    static final String BETA_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class";
    private static final String STORAGE = "storage";
    private static final String FILESYSTEM = "Filesystem";

    private VolumeMatcher() {
    }

    /** A PV together with the status the binder currently gives it. */
    public record Candidate(PersistentVolume volume, VolumeStatus status) {
    }

    /**
     * The best volume for {@code claim}, or null. A volume pre-bound to this claim wins whenever it is big enough
     * and of the right volumeMode (upstream would miss it if a volume with fewer access modes also fitted; the
     * pre-binding is honoured here). Otherwise: among Available, unreferenced volumes of the claim's class whose
     * labels match the selector and whose access modes contain the claim's, the volumes with the fewest access
     * modes are preferred (upstream's access-mode index), and among those the smallest.
     *
     * @param skipUnbound WaitForFirstConsumer without a consumer: only a pre-bound volume may be returned
     * @throws IllegalArgumentException when the claim's label selector is invalid
     */
    public static Candidate findBestMatch(PersistentVolumeClaim claim, Collection<Candidate> candidates,
                                          boolean skipUnbound) {
        Predicate<Map<String, String>> selector = LabelSelectors.compile(claim.getSpec().getSelector());
        for (Candidate c : sorted(candidates)) {
            ClaimRef ref = c.status().claimRef();
            if (ref != null && ref.refersTo(claim) && fitsSizeAndMode(c.volume(), claim)) {
                return c;
            }
        }
        if (skipUnbound) {
            return null;
        }
        List<String> requested = claimAccessModes(claim);
        String requestedClass = claimClass(claim);
        // Access-mode sets that contain every requested mode, fewest modes first (index.go byAccessModes).
        List<Set<String>> modeSets = candidates.stream().map(c -> Set.copyOf(volumeAccessModes(c.volume())))
                .distinct().filter(s -> s.containsAll(requested))
                .sorted(Comparator.<Set<String>>comparingInt(Set::size).thenComparing(s -> new TreeSet<>(s).toString()))
                .toList();
        for (Set<String> modes : modeSets) {
            Candidate best = null;
            for (Candidate c : sorted(candidates)) {
                PersistentVolume pv = c.volume();
                if (!Set.copyOf(volumeAccessModes(pv)).equals(modes)
                        || c.status().claimRef() != null
                        || c.status().phase() != VolumePhase.Available
                        || !fitsSizeAndMode(pv, claim)
                        || !selector.test(pv.getMetadata().getLabels())
                        || !volumeClass(pv).equals(requestedClass)) {
                    continue;
                }
                if (best == null || capacity(pv).compareTo(capacity(best.volume())) < 0) {
                    best = c;
                }
            }
            if (best != null) {
                return best;
            }
        }
        return null;
    }

    /** Upstream checkVolumeSatisfyClaim: why {@code pv} cannot serve {@code claim}, or null when it can. */
    public static String whyNotSatisfied(PersistentVolume pv, PersistentVolumeClaim claim) {
        if (pv.getMetadata().getDeletionTimestamp() != null) {
            return "the volume is marked for deletion \"" + pv.getMetadata().getName() + "\"";
        }
        if (capacity(pv).compareTo(request(claim)) < 0) {
            return "requested PV is too small";
        }
        if (!volumeClass(pv).equals(claimClass(claim))) {
            return "storageClassName does not match";
        }
        if (!volumeMode(pv).equals(claimVolumeMode(claim))) {
            return "incompatible volumeMode";
        }
        if (!checkAccessModes(claim, pv)) {
            return "incompatible accessMode";
        }
        return null;
    }

    /** Upstream CheckAccessModes: every mode the claim asks for is one the volume offers. */
    public static boolean checkAccessModes(PersistentVolumeClaim claim, PersistentVolume pv) {
        return volumeAccessModes(pv).containsAll(claimAccessModes(claim));
    }

    /** Upstream CheckVolumeModeMismatches, with Filesystem as the default on both sides. */
    public static boolean volumeModeMismatch(PersistentVolumeClaim claim, PersistentVolume pv) {
        return !volumeMode(pv).equals(claimVolumeMode(claim));
    }

    /** GetPersistentVolumeClaimClass: the beta annotation, else spec.storageClassName, else "". */
    public static String claimClass(PersistentVolumeClaim claim) {
        String ann = annotation(claim.getMetadata().getAnnotations());
        if (ann != null) {
            return ann;
        }
        String c = claim.getSpec().getStorageClassName();
        return c == null ? "" : c;
    }

    /** GetPersistentVolumeClass: the beta annotation, else spec.storageClassName, else "". */
    public static String volumeClass(PersistentVolume pv) {
        String ann = annotation(pv.getMetadata().getAnnotations());
        if (ann != null) {
            return ann;
        }
        String c = pv.getSpec().getStorageClassName();
        return c == null ? "" : c;
    }

    static BigDecimal capacity(PersistentVolume pv) {
        return Quantities.amount(pv.getSpec().getCapacity(), STORAGE);
    }

    static BigDecimal request(PersistentVolumeClaim claim) {
        return claim.getSpec().getResources() == null ? BigDecimal.ZERO
                : Quantities.amount(claim.getSpec().getResources().getRequests(), STORAGE);
    }

    private static boolean fitsSizeAndMode(PersistentVolume pv, PersistentVolumeClaim claim) {
        return capacity(pv).compareTo(request(claim)) >= 0
                && !volumeModeMismatch(claim, pv)
                && pv.getMetadata().getDeletionTimestamp() == null;
    }

    private static String annotation(Map<String, String> annotations) {
        return annotations == null ? null : annotations.get(BETA_CLASS_ANNOTATION);
    }

    private static String volumeMode(PersistentVolume pv) {
        String m = pv.getSpec().getVolumeMode();
        return m == null || m.isEmpty() ? FILESYSTEM : m;
    }

    private static String claimVolumeMode(PersistentVolumeClaim claim) {
        String m = claim.getSpec().getVolumeMode();
        return m == null || m.isEmpty() ? FILESYSTEM : m;
    }

    private static List<String> claimAccessModes(PersistentVolumeClaim claim) {
        List<String> m = claim.getSpec().getAccessModes();
        return m == null ? List.of() : m;
    }

    private static List<String> volumeAccessModes(PersistentVolume pv) {
        List<String> m = pv.getSpec().getAccessModes();
        return m == null ? List.of() : m;
    }

    /** Name order, so that ties between equal volumes are broken the same way on every pass. */
    private static List<Candidate> sorted(Collection<Candidate> candidates) {
        List<Candidate> l = new ArrayList<>(candidates);
        l.sort(Comparator.comparing(c -> c.volume().getMetadata().getName()));
        return l;
    }
}
