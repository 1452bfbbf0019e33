package dev.skiff.kubelet.controller;

import java.util.Objects;

/**
 * An event on the reconciled workload, as upstream's controllers record them: type {@code Normal} or
 * {@code Warning}, a reason such as {@code SuccessfulCreate}, and the message
 * ({@code create Pod web-0 in StatefulSet web successful}).
 */
public record ControllerEvent(String type, String reason, String message) {
    public ControllerEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
    }

    public static ControllerEvent normal(String reason, String message) {
        return new ControllerEvent("Normal", reason, message);
    }

    public static ControllerEvent warning(String reason, String message) {
        return new ControllerEvent("Warning", reason, message);
    }
}
