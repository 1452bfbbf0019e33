package dev.skiff.kubelet.pod;

/** Names upstream's kubelet uses for static pods (pkg/kubelet/types). */
public final class StaticPods {
    public static final String CONFIG_SOURCE = "kubernetes.io/config.source";
    public static final String CONFIG_HASH = "kubernetes.io/config.hash";
    public static final String CONFIG_SEEN = "kubernetes.io/config.seen";
    public static final String CONFIG_MIRROR = "kubernetes.io/config.mirror";
    public static final String SOURCE_FILE = "file";

    private StaticPods() {}
}
