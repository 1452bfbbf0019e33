package dev.skiff.kubelet.kuberuntime.manager;

/** Container and sandbox ids in log lines: the first 12 characters, as docker ps prints them. */
final class Ids {
    private Ids() {
    }

    static String shortId(String id) {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }
}
