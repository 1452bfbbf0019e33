package dev.skiff.volume.pv;

import java.util.List;
import java.util.Objects;

/** The outcome of one binder pass: the next state (to persist) and what the caller must act on. */
public record BindingResult(BindingState state, List<BindingDecision> decisions) {
    public BindingResult {
        Objects.requireNonNull(state, "state");
        decisions = List.copyOf(decisions);
    }
}
