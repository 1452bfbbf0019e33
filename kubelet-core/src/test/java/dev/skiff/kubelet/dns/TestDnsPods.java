package dev.skiff.kubelet.dns;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;

/** Pods and statuses as the status manager hands them to the DNS indexer. */
final class TestDnsPods {
    private TestDnsPods() {
    }

    /** A pod labelled app=web with hostname = name and subdomain nginx, uid {@code uid-<name>}. */
    static Pod pod(String ns, String name) {
        return new PodBuilder().withNewMetadata().withNamespace(ns).withName(name).withUid("uid-" + name)
                .addToLabels("app", "web").endMetadata()
                .withNewSpec().withHostname(name).withSubdomain("nginx")
                .addNewContainer().withName("c").withImage("busybox").addNewPort().withName("web")
                .withContainerPort(8080).withProtocol("TCP").endPort().endContainer().endSpec().build();
    }

    static PodStatus status(String ip, boolean ready) {
        return new PodStatusBuilder().withPhase("Running").withPodIP(ip).addNewPodIP(ip)
                .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition().build();
    }
}
