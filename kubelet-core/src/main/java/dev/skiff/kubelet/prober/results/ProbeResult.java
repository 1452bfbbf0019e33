package dev.skiff.kubelet.prober.results;

/** A probe's cached result, as upstream's prober results.Result. */
public enum ProbeResult {
    /** Not known yet: a startup probe that has not decided. */
    UNKNOWN,
    SUCCESS,
    FAILURE;

    /** Upstream's String(): "Success", "Failure", "UNKNOWN". */
    @Override
    public String toString() {
        return switch (this) {
            case SUCCESS -> "Success";
            case FAILURE -> "Failure";
            case UNKNOWN -> "UNKNOWN";
        };
    }
}
