package dev.skiff.kubelet.pod;

import io.fabric8.kubernetes.api.model.Container;

/**
 * A stable hash of one container's spec, as upstream's kuberuntime keeps in a container label to notice spec
 * changes: FNV-1a 32 over the canonical JSON of the fabric8 {@link Container} (sorted keys, empties dropped),
 * printed as lowercase hex. It covers only the spec, so equal specs hash equally across Skiff versions.
 */
public final class ContainerSpecHash {
    private static final int FNV_OFFSET = 0x811c9dc5;
    private static final int FNV_PRIME = 0x01000193;

    private ContainerSpecHash() {}

    public static String of(Container container) {
        return Integer.toHexString(fnv1a32(CanonicalJson.bytes(container)));
    }

    static int fnv1a32(byte[] data) {
        int h = FNV_OFFSET;
        for (byte b : data) {
            h ^= b & 0xff;
            h *= FNV_PRIME;
        }
        return h;
    }
}
