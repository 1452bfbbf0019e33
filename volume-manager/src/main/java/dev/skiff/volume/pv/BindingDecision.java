package dev.skiff.volume.pv;

/**
 * What the caller must do after a binder pass. Bind and Unbind describe changes already in the returned state (for
 * logging and events); Provision and DeleteVolume are requests that are repeated on every pass while they still
 * apply (level-triggered, like upstream's resync), so the caller runs at most one operation per claim or volume.
 */
public sealed interface BindingDecision {
    /** The claim and the volume now point at each other. */
    record Bind(String volumeName, ClaimRef claim) implements BindingDecision {
    }

    /** The volume's claimRef was cleared (or its uid dropped) because the claim is bound to another volume. */
    record Unbind(String volumeName, ClaimRef formerClaim) implements BindingDecision {
    }

    /** Create a volume for the claim with this class's provisioner (the new PV carries a claimRef to the claim). */
    record Provision(String claimKey, String claimUid, String storageClassName, String provisioner)
            implements BindingDecision {
    }

    /** Reclaim policy Delete: the volume's claim is gone (or bound elsewhere); delete its storage and the PV. */
    record DeleteVolume(String volumeName, ClaimRef formerClaim) implements BindingDecision {
    }
}
