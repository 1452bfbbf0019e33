package dev.skiff.kubelet.events;

import java.time.Instant;

/**
 * One event as stored: what a core/v1 Event carries, with {@code count} and the first and last time it happened
 * (repeats folded into one, as the event correlator folds them). {@code name} is upstream's
 * {@code <pod>.<hex nanoseconds of the first occurrence>}.
 */
public record RecordedEvent(String name, EventTarget target, EventType type, String reason, String message,
                            int count, Instant firstTimestamp, Instant lastTimestamp) {
    RecordedEvent repeated(String newMessage, Instant at) {
        return new RecordedEvent(name, target, type, reason, newMessage, count + 1, firstTimestamp, at);
    }
}
