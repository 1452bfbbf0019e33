package dev.skiff.volume.block;

import java.io.IOException;

/** A loop-device, probe or format step failed; the message names the device or file, the call or command, and why. */
public class BlockDeviceException extends IOException {
    public BlockDeviceException(String message) {
        super(message);
    }

    public BlockDeviceException(String message, Throwable cause) {
        super(message, cause);
    }
}
