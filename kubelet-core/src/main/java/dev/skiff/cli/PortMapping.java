package dev.skiff.cli;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;

import java.util.List;
import java.util.Optional;

/**
 * One {@code [LOCAL:]REMOTE} of {@code skiff port-forward}, as kubectl reads it: {@code 8080:80}, {@code 80} (the same
 * port locally), {@code :80} (a free local port); REMOTE may name a container port ({@code 8080:http}).
 *
 * @param local  the local port, 0 for any free one
 * @param remote the pod's port
 */
record PortMapping(int local, int remote) {
    static PortMapping parse(String spec, Pod pod) {
        String[] parts = spec.split(":", -1);
        if (parts.length > 2 || parts[parts.length - 1].isEmpty()) {
            throw new IllegalArgumentException("invalid port mapping \"" + spec + "\": want [LOCAL:]REMOTE, e.g. 8080:80");
        }
        int remote = remote(parts[parts.length - 1], spec, pod);
        int local = parts.length == 1 ? remote : parts[0].isEmpty() ? 0 : port(parts[0], spec, "local", true);
        return new PortMapping(local, remote);
    }

    private static int remote(String s, String spec, Pod pod) {
        if (s.chars().allMatch(Character::isDigit)) {
            return port(s, spec, "remote", false);
        }
        List<Container> containers = pod.getSpec().getContainers() == null ? List.of() : pod.getSpec().getContainers();
        Optional<Integer> named = containers.stream()
                .flatMap(c -> c.getPorts() == null ? java.util.stream.Stream.<ContainerPort>empty() : c.getPorts().stream())
                .filter(p -> s.equals(p.getName())).map(ContainerPort::getContainerPort).findFirst();
        return named.orElseThrow(() -> new IllegalArgumentException("invalid port mapping \"" + spec + "\": pod "
                + pod.getMetadata().getName() + " has no container port named " + s));
    }

    private static int port(String s, String spec, String which, boolean zeroAllowed) {
        int p;
        try {
            p = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            p = -1;
        }
        if (p < (zeroAllowed ? 0 : 1) || p > 65535) {
            throw new IllegalArgumentException("invalid port mapping \"" + spec + "\": " + which + " port " + s
                    + " is not a port number (1-65535)");
        }
        return p;
    }
}
