package dev.skiff.volume;

/**
 * A volume cannot be set up or torn down. The message is for the pod's status and the log: it names the
 * volume's source and says why, in upstream's words where upstream has them (e.g. {@code configmap "x" not found}).
 */
public class VolumeException extends Exception {
    public VolumeException(String message) {
        super(message);
    }

    public VolumeException(String message, Throwable cause) {
        super(message, cause);
    }
}
