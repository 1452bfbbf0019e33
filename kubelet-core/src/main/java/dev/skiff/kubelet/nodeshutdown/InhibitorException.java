package dev.skiff.kubelet.nodeshutdown;

/** logind or the system bus could not do what was asked; the message says why in one line. */
public final class InhibitorException extends Exception {
    public InhibitorException(String message) {
        super(message);
    }

    public InhibitorException(String message, Throwable cause) {
        super(message, cause);
    }
}
