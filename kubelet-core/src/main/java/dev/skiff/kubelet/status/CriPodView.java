package dev.skiff.kubelet.status;

import dev.skiff.cri.v1.ContainerStatus;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.cri.v1.PodSandboxStatus;
import dev.skiff.kubelet.kuberuntime.KubeAnnotations;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What the runtime says about one pod, as status generation needs it: the newest sandbox's status (for
 * the pod IPs) and the CRI statuses of the pod's containers (any order; every attempt the runtime still
 * keeps). Proto messages are immutable, so a view can be shared.
 */
public record CriPodView(Optional<PodSandboxStatus> sandbox, List<ContainerStatus> containers) {
    public static final CriPodView EMPTY = new CriPodView(Optional.empty(), List.of());

    public CriPodView {
        sandbox = sandbox == null ? Optional.empty() : sandbox;
        containers = List.copyOf(containers);
    }

    /** The CRI statuses of the container named {@code name}, newest (latest created) first. */
    public List<ContainerStatus> statuses(String name) {
        List<ContainerStatus> out = new ArrayList<>();
        for (ContainerStatus c : containers) {
            if (name.equals(containerName(c))) {
                out.add(c);
            }
        }
        out.sort(Comparator.comparingLong(ContainerStatus::getCreatedAt).reversed()
                .thenComparing(Comparator.comparingInt((ContainerStatus c) -> c.getMetadata().getAttempt()).reversed()));
        return out;
    }

    /** The kubelet's container name: the label it wrote, else the CRI metadata name. */
    public static String containerName(ContainerStatus c) {
        String n = KubeAnnotations.ContainerInfo.from(c.getLabelsMap(), c.getAnnotationsMap()).name();
        return n.isEmpty() ? c.getMetadata().getName() : n;
    }

    /** The pod IPs of a ready sandbox: primary first, then additional ones (upstream determinePodSandboxIPs). */
    public List<String> podIPs() {
        return sandbox.filter(s -> s.getState() == PodSandboxState.SANDBOX_READY).map(CriPodView::podIPs).orElse(List.of());
    }

    /** A sandbox's IPs, primary first, then additional ones without repeats. */
    public static List<String> podIPs(PodSandboxStatus s) {
        List<String> ips = new ArrayList<>();
        if (s == null || !s.hasNetwork()) {
            return ips;
        }
        if (!s.getNetwork().getIp().isEmpty()) {
            ips.add(s.getNetwork().getIp());
        }
        s.getNetwork().getAdditionalIpsList().forEach(ip -> {
            if (!ip.getIp().isEmpty() && !ips.contains(ip.getIp())) {
                ips.add(ip.getIp());
            }
        });
        return ips;
    }

    public boolean sandboxReady() {
        return sandbox.map(s -> s.getState() == PodSandboxState.SANDBOX_READY).orElse(false);
    }
}
