package dev.skiff.kubelet.prober.probe;

/**
 * What one run of a probe handler found (upstream pkg/probe: Result and output). A handler that could not run at
 * all (no such container, a port that cannot be resolved) completes exceptionally with a {@link ProbeException}
 * instead: upstream's "probe errored", whose result is thrown away.
 *
 * @param result  success, warning (counted as success), or failure
 * @param output  the handler's output: the response body, the command's output, or why it failed
 */
public record ProbeOutcome(Result result, String output) {
    /** Upstream caps what it keeps of a response body or command output at 10 KiB. */
    public static final int MAX_OUTPUT_BYTES = 10 * 1024;

    public enum Result { SUCCESS, WARNING, FAILURE }

    public ProbeOutcome {
        output = output == null ? "" : output;
    }

    public static ProbeOutcome success(String output) {
        return new ProbeOutcome(Result.SUCCESS, output);
    }

    public static ProbeOutcome warning(String output) {
        return new ProbeOutcome(Result.WARNING, output);
    }

    public static ProbeOutcome failure(String output) {
        return new ProbeOutcome(Result.FAILURE, output);
    }

    /** Success and warning both pass. */
    public boolean passed() {
        return result != Result.FAILURE;
    }
}
