package dev.skiff.volume.pv;

import java.util.Objects;

/**
 * What the binder needs of a StorageClass (the model type is not on this module's classpath).
 *
 * @param provisioner          the class's provisioner, e.g. {@code skiff.dev/loopback} or
 *                             {@code kubernetes.io/no-provisioner}
 * @param provisionerKnown     true when Skiff itself provisions for this class (the binder then asks for it)
 * @param waitForFirstConsumer volumeBindingMode WaitForFirstConsumer: bind or provision only once a pod uses the claim
 */
public record StorageClassInfo(String provisioner, boolean provisionerKnown, boolean waitForFirstConsumer) {
    public StorageClassInfo {
        Objects.requireNonNull(provisioner, "provisioner");
    }
}
