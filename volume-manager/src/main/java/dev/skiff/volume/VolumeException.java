package dev.skiff.volume;

import java.util.Optional;

/**
 * A volume cannot be set up or torn down. The message is for the pod's status and the log: it names the
 * volume's source and says why, in upstream's words where upstream has them (e.g. {@code configmap "x" not found}).
 */
public class VolumeException extends Exception {
    private final String operation;

    public VolumeException(String message) {
        this(null, message, null);
    }

    public VolumeException(String message, Throwable cause) {
        this(null, message, cause);
    }

    private VolumeException(String operation, String message, Throwable cause) {
        super(message, cause);
        this.operation = operation;
    }

    /**
     * A failure of one of upstream's named steps, e.g. {@code MountVolume.NodeAffinity check failed}: the pod's status
     * names that step rather than the caller's (e.g. {@code MountVolume.SetUp failed}).
     */
    public static VolumeException inOperation(String operation, String message) {
        return new VolumeException(operation, message, null);
    }

    /** The upstream step that failed, when it is not the caller's own. */
    public Optional<String> operation() {
        return Optional.ofNullable(operation);
    }
}
