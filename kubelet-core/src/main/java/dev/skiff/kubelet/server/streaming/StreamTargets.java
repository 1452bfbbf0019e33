package dev.skiff.kubelet.server.streaming;

import dev.skiff.cri.v1.Container;
import dev.skiff.cri.v1.ContainerState;
import dev.skiff.cri.v1.PodSandbox;
import dev.skiff.cri.v1.PodSandboxState;
import dev.skiff.kubelet.pleg.RuntimePod;
import dev.skiff.kubelet.server.Endpoint;
import io.fabric8.kubernetes.api.model.Pod;

import java.util.Collection;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What a streaming request names, as upstream's kubelet finds it: the pod among the kubelet's pods (GetPodByName), then
 * its running container or ready sandbox among what the runtime runs (findContainer over GetPods(all=false)). The
 * runtime is asked afresh (not the PLEG's last relist, which may predate a container that the pod's status already
 * shows running).
 */
public final class StreamTargets {
    private final Supplier<? extends Collection<Pod>> pods;
    private final Function<String, Optional<RuntimePod>> runtimePod;

    /**
     * @param pods       the kubelet's pods (what {@code /pods} serves)
     * @param runtimePod what the runtime holds for a pod uid now (empty while the runtime has not answered)
     */
    public StreamTargets(Supplier<? extends Collection<Pod>> pods, Function<String, Optional<RuntimePod>> runtimePod) {
        this.pods = pods;
        this.runtimePod = runtimePod;
    }

    /** A pod and the container or sandbox a session goes to. */
    public record Target(Pod pod, String id) {
        /** {@code namespace/name uid …}, for log lines. */
        public String podRef() {
            return pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName() + " uid " + pod.getMetadata().getUid();
        }
    }

    /** The kubelet's pod, 404 with upstream's text when it has none of that name. */
    public Pod pod(String namespace, String name) throws Endpoint.NotFoundException {
        for (Pod p : pods.get()) {
            if (p.getMetadata() != null && namespace.equals(p.getMetadata().getNamespace())
                    && name.equals(p.getMetadata().getName())) {
                return p;
            }
        }
        throw new Endpoint.NotFoundException("pod does not exist");
    }

    /**
     * The newest running instance of {@code container} in the pod (of uid {@code uid} when the path names one).
     * Upstream answers "container not found" with 500; Skiff says 404, as for the pod.
     */
    public Target runningContainer(String namespace, String name, Optional<String> uid, String container)
            throws Endpoint.NotFoundException {
        Pod pod = pod(namespace, name);
        Optional<RuntimePod> rp = runtimePod.apply(uid.orElse(pod.getMetadata().getUid()));
        if (rp.isPresent()) {
            for (Container c : rp.get().containers(container)) {
                if (c.getState() == ContainerState.CONTAINER_RUNNING) {
                    return new Target(pod, c.getId());
                }
            }
        }
        throw new Endpoint.NotFoundException("container not found (\"" + container + "\")");
    }

    /** The pod's newest ready sandbox: where port-forward connects. */
    public Target readySandbox(String namespace, String name, Optional<String> uid) throws Endpoint.NotFoundException {
        Pod pod = pod(namespace, name);
        if (uid.isPresent() && !uid.get().equals(pod.getMetadata().getUid())) {
            throw new Endpoint.NotFoundException("pod not found");
        }
        Optional<RuntimePod> rp = runtimePod.apply(pod.getMetadata().getUid());
        if (rp.isPresent()) {
            for (PodSandbox s : rp.get().sandboxes()) {
                if (s.getState() == PodSandboxState.SANDBOX_READY) {
                    return new Target(pod, s.getId());
                }
            }
        }
        throw new Endpoint.NotFoundException("pod not found (\"" + name + "_" + namespace + "\")");
    }
}
