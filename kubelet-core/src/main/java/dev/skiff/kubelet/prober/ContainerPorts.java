package dev.skiff.kubelet.prober;

import dev.skiff.kubelet.prober.probe.ProbeException;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;

/** Upstream's ResolveContainerPort: a probe's port by number, or by the name of one of the container's ports. */
public final class ContainerPorts {
    private ContainerPorts() {
    }

    public static int resolve(IntOrString port, Container container) {
        if (port == null || (port.getIntVal() == null && port.getStrVal() == null)) {
            throw new ProbeException("probe of container \"" + container.getName() + "\" names no port");
        }
        int n;
        if (port.getIntVal() != null) {
            n = port.getIntVal();
        } else {
            n = byName(port.getStrVal(), container);
        }
        if (n > 0 && n < 65536) {
            return n;
        }
        throw new ProbeException("invalid port number: " + n);
    }

    private static int byName(String name, Container container) {
        if (container.getPorts() != null) {
            for (ContainerPort p : container.getPorts()) {
                if (name.equals(p.getName()) && p.getContainerPort() != null) {
                    return p.getContainerPort();
                }
            }
        }
        try {
            return Integer.parseInt(name); // upstream's last ditch: an int stored as a string
        } catch (NumberFormatException e) {
            throw new ProbeException("port " + name + " not found in container \"" + container.getName()
                    + "\": name one of its ports (spec.containers[].ports[].name) or give a number");
        }
    }
}
