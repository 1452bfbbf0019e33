package dev.skiff.kubelet.worker;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * What a pod worker hands one unit of work (upstream: the context of one sync): the executor its continuations run
 * on (the pod workers' pool), and whether the worker gave up on it. A unit is cancelled when termination is asked
 * for while it syncs, or when a shorter grace period arrives while it terminates; the worker then moves on at once
 * and ignores how the unit ends, so the unit must start nothing new once {@link #isCancelled()}.
 */
public final class SyncContext {
    private final Executor executor;
    private final CompletableFuture<Void> cancelled = new CompletableFuture<>();

    public SyncContext(Executor executor) {
        this.executor = executor;
    }

    /** A context that runs continuations on the completing thread and is never cancelled (tests, tools). */
    public static SyncContext direct() {
        return new SyncContext(Runnable::run);
    }

    public Executor executor() {
        return executor;
    }

    public boolean isCancelled() {
        return cancelled.isDone();
    }

    /** Completes when the unit is cancelled: a wait can race against it. */
    public CompletionStage<Void> whenCancelled() {
        return cancelled.minimalCompletionStage();
    }

    /** Throws when the unit was cancelled: the step about to start would act for a worker that moved on. */
    public void checkCancelled() {
        if (isCancelled()) {
            throw new CancellationException("pod sync cancelled");
        }
    }

    void cancel() {
        cancelled.complete(null);
    }

    /**
     * {@code fn} after {@code stage}: on this thread when the stage is already done, else on the workers' executor
     * (never on a thread that completed a runtime call, which belongs to another pool). Not run once cancelled.
     */
    public <T, U> CompletableFuture<U> then(CompletionStage<T> stage, Function<? super T, ? extends U> fn) {
        CompletableFuture<T> f = stage.toCompletableFuture();
        Function<T, U> step = v -> {
            checkCancelled();
            return fn.apply(v);
        };
        return f.isDone() ? f.thenApply(step) : f.thenApplyAsync(step, executor);
    }

    /** As {@link #then}, for a step that is itself asynchronous. */
    public <T, U> CompletableFuture<U> thenCompose(CompletionStage<T> stage,
                                                   Function<? super T, ? extends CompletionStage<U>> fn) {
        CompletableFuture<T> f = stage.toCompletableFuture();
        Function<T, CompletionStage<U>> step = v -> {
            checkCancelled();
            return fn.apply(v);
        };
        return f.isDone() ? f.thenCompose(step) : f.thenComposeAsync(step, executor);
    }
}
