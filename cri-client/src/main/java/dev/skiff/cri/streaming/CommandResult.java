package dev.skiff.cri.streaming;

/**
 * How a streamed command or attach ended: success, a non-zero exit code (with the runtime's
 * text for it), or an error running it at all.
 */
public record CommandResult(Kind kind, int exitCode, String message) {
    public enum Kind { SUCCESS, EXIT_CODE, ERROR }

    public static CommandResult success() {
        return new CommandResult(Kind.SUCCESS, 0, "");
    }

    /** code 0 is success; any other code carries the runtime's message, e.g. cri-dockerd's "Error executing in Docker Container: 3". */
    public static CommandResult exited(int code, String message) {
        return code == 0 ? success() : new CommandResult(Kind.EXIT_CODE, code, message);
    }

    public static CommandResult error(String message) {
        return new CommandResult(Kind.ERROR, -1, message);
    }
}
