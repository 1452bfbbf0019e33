package dev.skiff.kubelet.events;

/**
 * Where the kubelet's parts report what happened to a pod (client-go's record.EventRecorder, for pods only).
 * Recording never blocks on I/O and never fails the caller.
 */
@FunctionalInterface
public interface EventRecorder {
    /** Drops every event: for parts used without a kubelet (tests, tools). */
    EventRecorder NONE = (target, type, reason, message) -> { };

    void record(EventTarget target, EventType type, String reason, String message);

    default void normal(EventTarget target, String reason, String message) {
        record(target, EventType.NORMAL, reason, message);
    }

    default void warning(EventTarget target, String reason, String message) {
        record(target, EventType.WARNING, reason, message);
    }
}
