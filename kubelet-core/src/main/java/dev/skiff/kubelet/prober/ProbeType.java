package dev.skiff.kubelet.prober;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Probe;

/** The three kinds of probe, named as upstream prints them in events and messages. */
public enum ProbeType {
    LIVENESS("Liveness"),
    READINESS("Readiness"),
    STARTUP("Startup");

    private final String display;

    ProbeType(String display) {
        this.display = display;
    }

    /** The container's probe of this type; null when it has none. */
    public Probe of(Container c) {
        return switch (this) {
            case LIVENESS -> c.getLivenessProbe();
            case READINESS -> c.getReadinessProbe();
            case STARTUP -> c.getStartupProbe();
        };
    }

    /** "Liveness", "Readiness", "Startup". */
    @Override
    public String toString() {
        return display;
    }
}
