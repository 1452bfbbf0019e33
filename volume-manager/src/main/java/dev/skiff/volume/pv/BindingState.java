package dev.skiff.volume.pv;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What the binder owns and what gets persisted: the status of every PV (by name) and every PVC (by
 * {@code namespace/name}). Immutable; maps are sorted so that equal states compare and serialize equally.
 */
public record BindingState(Map<String, VolumeStatus> volumes, Map<String, ClaimStatus> claims) {
    public static final BindingState EMPTY = new BindingState(Map.of(), Map.of());

    public BindingState {
        volumes = Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(volumes, "volumes")));
        claims = Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(claims, "claims")));
    }

    public VolumeStatus volume(String pvName) {
        return volumes.get(pvName);
    }

    public ClaimStatus claim(String claimKey) {
        return claims.get(claimKey);
    }

    /**
     * This state with {@code pvName} Failed (e.g. its reclaim could not delete the backing file); the binder keeps
     * Failed rather than overwrite it with Released, as upstream does, so the user sees what went wrong.
     */
    public BindingState withVolumeFailed(String pvName, String message) {
        VolumeStatus old = volumes.get(pvName);
        if (old == null) {
            return this;
        }
        Map<String, VolumeStatus> v = new TreeMap<>(volumes);
        v.put(pvName, new VolumeStatus(VolumePhase.Failed, old.claimRef(), message));
        return new BindingState(v, claims);
    }
}
