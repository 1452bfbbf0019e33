package dev.skiff.kubelet.kuberuntime;

/**
 * A sandbox or container config that cannot be made from the pod (upstream reports these as
 * CreateContainerConfigError / a failed sandbox creation); the message says why.
 */
public final class CreateConfigException extends Exception {
    /** The container waiting reason upstream uses for these. */
    public static final String REASON = "CreateContainerConfigError";

    public CreateConfigException(String message) {
        super(message);
    }

    public CreateConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
