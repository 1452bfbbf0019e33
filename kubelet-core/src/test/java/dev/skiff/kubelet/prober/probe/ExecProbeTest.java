package dev.skiff.kubelet.prober.probe;

import com.google.protobuf.ByteString;
import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.ExecSyncRequest;
import dev.skiff.cri.v1.ExecSyncResponse;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExecProbeTest {
    private final AtomicReference<ExecSyncRequest> sent = new AtomicReference<>();

    /** A runtime that answers ExecSync only. */
    private RuntimeService runtime(Function<ExecSyncRequest, ExecSyncResponse> execSync) {
        return (RuntimeService) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[]{RuntimeService.class},
                (proxy, method, args) -> {
                    if (!method.getName().equals("execSync")) {
                        throw new UnsupportedOperationException(method.getName());
                    }
                    sent.set((ExecSyncRequest) args[0]);
                    return execSync.apply((ExecSyncRequest) args[0]);
                });
    }

    private static ExecSyncResponse response(int code, String out, String err) {
        return ExecSyncResponse.newBuilder().setExitCode(code).setStdout(ByteString.copyFromUtf8(out))
                .setStderr(ByteString.copyFromUtf8(err)).build();
    }

    @Test
    void exitZeroPassesAndTheTimeoutGoesToExecSync() {
        ExecProbe p = new ExecProbe(runtime(r -> response(0, "fine\n", "")), Runnable::run);
        assertEquals(ProbeOutcome.success("fine\n"), p.run("c1", List.of("cat", "/tmp/ok"), Duration.ofSeconds(3)));
        assertEquals(3, sent.get().getTimeout());
        assertEquals("c1", sent.get().getContainerId());
        assertEquals(List.of("cat", "/tmp/ok"), sent.get().getCmdList());
    }

    @Test
    void nonZeroFailsWithStdoutThenStderr() {
        ExecProbe p = new ExecProbe(runtime(r -> response(1, "out ", "cat: can't open '/tmp/ok'")), Runnable::run);
        assertEquals(ProbeOutcome.failure("out cat: can't open '/tmp/ok'"),
                p.run("c1", List.of("cat", "/tmp/ok"), Duration.ofSeconds(1)));
    }

    @Test
    void outputIsCutAtTenKib() {
        ExecProbe p = new ExecProbe(runtime(r -> response(1, "a".repeat(8000), "b".repeat(8000))), Runnable::run);
        String out = p.run("c1", List.of("x"), Duration.ofSeconds(1)).output();
        assertEquals(10 * 1024, out.length());
        assertTrue(out.endsWith("b"));
    }

    @Test
    void aTimeoutFailsWithUpstreamsMessage() {
        ExecProbe p = new ExecProbe(runtime(r -> {
            throw Status.DEADLINE_EXCEEDED.withDescription("timed out").asRuntimeException();
        }), Runnable::run);
        assertEquals(ProbeOutcome.failure("command \"sleep 10\" timed out"),
                p.run("c1", List.of("sleep", "10"), Duration.ofSeconds(1)));
    }

    @Test
    void aContainerThatIsNotRunningIsAnError() {
        ExecProbe p = new ExecProbe(runtime(r -> {
            throw Status.FAILED_PRECONDITION.withDescription("container c1 is not running").asRuntimeException();
        }), Runnable::run);
        ProbeException e = assertThrows(ProbeException.class, () -> p.run("c1", List.of("true"), Duration.ofSeconds(1)));
        assertEquals("container c1 is not running", e.getMessage());
    }
}
