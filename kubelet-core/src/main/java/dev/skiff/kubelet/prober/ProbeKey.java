package dev.skiff.kubelet.prober;

/** One probe of one container of one pod (upstream's probeKey). */
public record ProbeKey(String podUid, String containerName, ProbeType type) {
}
