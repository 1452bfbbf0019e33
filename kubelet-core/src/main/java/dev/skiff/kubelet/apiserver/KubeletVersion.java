package dev.skiff.kubelet.apiserver;

/**
 * nodeInfo.kubeletVersion: the Kubernetes version whose kubelet Skiff follows, with Skiff's own version as semver
 * build metadata, so the control plane's version-skew checks read it as that Kubernetes version.
 */
public final class KubeletVersion {
    /** The upstream release Skiff's behaviour and CRI schema follow. */
    public static final String KUBERNETES = "v1.32.0";

    private KubeletVersion() {}

    public static String get() {
        String v = KubeletVersion.class.getPackage().getImplementationVersion();
        return KUBERNETES + "+skiff." + (v == null ? "dev" : v.replaceAll("[^0-9A-Za-z.-]", "-"));
    }
}
