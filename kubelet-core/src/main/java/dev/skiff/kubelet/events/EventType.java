package dev.skiff.kubelet.events;

/** core/v1 Event.type. */
public enum EventType {
    NORMAL("Normal"),
    WARNING("Warning");

    private final String wire;

    EventType(String wire) {
        this.wire = wire;
    }

    /** As the API writes it: {@code Normal}, {@code Warning}. */
    public String wire() {
        return wire;
    }
}
