package dev.skiff.kubelet.prober.probe;

/** A probe handler could not run (upstream: the probe errored); the message says why. */
public final class ProbeException extends RuntimeException {
    public ProbeException(String message) {
        super(message);
    }

    public ProbeException(String message, Throwable cause) {
        super(message, cause);
    }
}
