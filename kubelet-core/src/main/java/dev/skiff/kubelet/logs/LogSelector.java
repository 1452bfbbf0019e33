package dev.skiff.kubelet.logs;

import dev.skiff.kubelet.server.Endpoint;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.EphemeralContainer;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatus;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Which container instance's log a request means, as upstream's kubelet decides it: the pod by namespace and name,
 * the container among its app, init (sidecars included) and ephemeral containers, then
 * {@code validateContainerLogStatus}: the running instance, else the terminated one, else the last terminated one;
 * {@code previous} the last terminated one. Upstream's messages: 404 for a pod or container that does not exist,
 * 400 for one that has no log to show.
 */
public final class LogSelector {
    /**
     * @param containerId  the runtime's id (without the {@code docker://} scheme)
     * @param newest       whether it is the container's newest instance (for readers that go by the log directory)
     */
    public record Selected(Pod pod, String container, String containerId, boolean newest) {}

    private LogSelector() {}

    /** The pod named so in the namespace; of several (one being replaced), the one not being deleted. */
    public static Pod pod(Collection<Pod> pods, String namespace, String name) throws Endpoint.NotFoundException {
        List<Pod> named = pods.stream().filter(p -> p.getMetadata() != null && namespace.equals(p.getMetadata().getNamespace())
                && name.equals(p.getMetadata().getName())).toList();
        return named.stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).findFirst()
                .or(() -> named.stream().findFirst())
                .orElseThrow(() -> new Endpoint.NotFoundException("pod \"" + name + "\" does not exist"));
    }

    /** Every container name of the pod: init containers (sidecars too), then app containers, then ephemeral ones. */
    public static List<String> containerNames(Pod pod) {
        PodSpec spec = pod.getSpec();
        if (spec == null) {
            return List.of();
        }
        return Stream.of(
                list(spec.getInitContainers()).stream().map(Container::getName),
                list(spec.getContainers()).stream().map(Container::getName),
                list(spec.getEphemeralContainers()).stream().map(EphemeralContainer::getName)).flatMap(s -> s).toList();
    }

    public static Selected select(Pod pod, String container, boolean previous)
            throws Endpoint.NotFoundException, Endpoint.BadRequestException {
        String podName = pod.getMetadata().getName();
        if (!containerNames(pod).contains(container)) {
            throw new Endpoint.NotFoundException("container \"" + container + "\" not found in pod \"" + podName + "\"");
        }
        ContainerStatus cs = status(pod.getStatus(), container).orElseThrow(() -> new Endpoint.BadRequestException(
                "container \"" + container + "\" in pod \"" + podName + "\" is not available"));
        ContainerState state = cs.getState() == null ? new ContainerState() : cs.getState();
        ContainerState last = cs.getLastState() == null ? new ContainerState() : cs.getLastState();
        String lastId = last.getTerminated() == null ? "" : nullToEmpty(last.getTerminated().getContainerID());
        if (previous) {
            if (lastId.isEmpty()) {
                throw new Endpoint.BadRequestException("previous terminated container \"" + container + "\" in pod \""
                        + podName + "\" not found");
            }
            // With a newer instance running or terminated, the last terminated one is the one before it.
            return new Selected(pod, container, strip(lastId), state.getRunning() == null && state.getTerminated() == null);
        }
        if (state.getRunning() != null) {
            return new Selected(pod, container, strip(cs.getContainerID()), true);
        }
        if (state.getTerminated() != null) {
            String id = nullToEmpty(state.getTerminated().getContainerID());
            if (id.isEmpty()) {
                id = nullToEmpty(cs.getContainerID());
            }
            if (!id.isEmpty()) {
                return new Selected(pod, container, strip(id), true);
            }
            if (!lastId.isEmpty()) {
                return new Selected(pod, container, strip(lastId), true);
            }
            throw new Endpoint.BadRequestException("container \"" + container + "\" in pod \"" + podName + "\" is terminated");
        }
        if (!lastId.isEmpty()) {
            return new Selected(pod, container, strip(lastId), true);
        }
        if (state.getWaiting() != null) {
            String reason = nullToEmpty(state.getWaiting().getReason());
            String why = switch (reason) {
                case "ErrImagePull" -> "image can't be pulled";
                case "ImagePullBackOff" -> "trying and failing to pull image";
                default -> reason;
            };
            throw new Endpoint.BadRequestException("container \"" + container + "\" in pod \"" + podName
                    + "\" is waiting to start: " + why);
        }
        throw new Endpoint.BadRequestException("container \"" + container + "\" in pod \"" + podName
                + "\" is waiting to start - no logs yet");
    }

    /** The status of the container (app, init or ephemeral) in the pod's status. */
    public static Optional<ContainerStatus> status(PodStatus status, String container) {
        if (status == null) {
            return Optional.empty();
        }
        return Stream.of(list(status.getContainerStatuses()), list(status.getInitContainerStatuses()),
                        list(status.getEphemeralContainerStatuses()))
                .flatMap(List::stream).filter(s -> container.equals(s.getName())).findFirst();
    }

    /** {@code docker://abc} → {@code abc}. */
    public static String strip(String containerId) {
        String id = nullToEmpty(containerId);
        int scheme = id.indexOf("://");
        return scheme < 0 ? id : id.substring(scheme + 3);
    }

    private static <T> List<T> list(List<T> l) {
        return l == null ? List.of() : l;
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
