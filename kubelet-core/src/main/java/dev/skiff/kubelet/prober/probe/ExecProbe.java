package dev.skiff.kubelet.prober.probe;

import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.ExecSyncRequest;
import dev.skiff.cri.v1.ExecSyncResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The exec handler (upstream pkg/probe/exec): CRI ExecSync with the probe's timeout; exit code 0 passes, any other
 * fails with the command's output (stdout then stderr, at most 10 KiB); a timeout fails with
 * {@code command "…" timed out}. ExecSync blocks, so it runs on a small bounded pool, never on the scheduler.
 */
public final class ExecProbe {
    private final RuntimeService runtime;
    private final Executor blocking;

    public ExecProbe(RuntimeService runtime, Executor blocking) {
        this.runtime = runtime;
        this.blocking = blocking;
    }

    public CompletableFuture<ProbeOutcome> probe(String containerId, List<String> command, Duration timeout) {
        return CompletableFuture.supplyAsync(() -> run(containerId, command, timeout), blocking);
    }

    ProbeOutcome run(String containerId, List<String> command, Duration timeout) {
        ExecSyncResponse r;
        try {
            r = runtime.execSync(ExecSyncRequest.newBuilder().setContainerId(containerId).addAllCmd(command)
                    .setTimeout(timeout.toSeconds()).build());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED) {
                // upstream's remote runtime turns DeadlineExceeded into exec.TimeoutError
                return ProbeOutcome.failure("command \"" + String.join(" ", command) + "\" timed out");
            }
            throw new ProbeException(e.getStatus().getDescription() == null ? e.getStatus().getCode().toString()
                    : e.getStatus().getDescription(), e);
        }
        String output = output(r);
        return r.getExitCode() == 0 ? ProbeOutcome.success(output) : ProbeOutcome.failure(output);
    }

    /** stdout then stderr, as upstream's RunInContainer appends them, cut at 10 KiB (also an exec hook's output). */
    public static String output(ExecSyncResponse r) {
        byte[] out = r.getStdout().toByteArray();
        byte[] err = r.getStderr().toByteArray();
        int n = Math.min(ProbeOutcome.MAX_OUTPUT_BYTES, out.length + err.length);
        byte[] all = new byte[n];
        int fromOut = Math.min(n, out.length);
        System.arraycopy(out, 0, all, 0, fromOut);
        System.arraycopy(err, 0, all, fromOut, n - fromOut);
        return new String(all, StandardCharsets.UTF_8);
    }
}
