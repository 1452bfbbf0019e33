package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectExecResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import com.google.protobuf.ByteString;
import dev.skiff.cri.CriErrors;
import dev.skiff.cri.v1.ExecSyncRequest;
import dev.skiff.cri.v1.ExecSyncResponse;
import io.grpc.Status;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * CRI ExecSync on Docker: exec create + start, stdout and stderr collected apart (each
 * capped at 16 MiB, as the CRI allows), exit code from exec inspect. On timeout the exec'd
 * process (and its descendants) is killed from the host, since Docker has no exec kill.
 */
public final class ExecSyncRunner {
    static final int MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

    private final DockerClient docker;

    public ExecSyncRunner(DockerClient docker) {
        this.docker = docker;
    }

    /**
     * Runs cmd in the container; honours request.getTimeout() (seconds, 0 = none): on expiry
     * kills the exec'd process and throws DEADLINE_EXCEEDED. NOT_FOUND for an unknown
     * container, FAILED_PRECONDITION for one that is not running.
     */
    public ExecSyncResponse run(ExecSyncRequest request) {
        String id = request.getContainerId();
        if (id.isEmpty()) {
            throw CriErrors.invalidArgument("ExecSync: container_id is empty");
        }
        if (request.getCmdCount() == 0) {
            throw CriErrors.invalidArgument("ExecSync in container %s: cmd is empty", id);
        }
        if (request.getTimeout() < 0) {
            throw CriErrors.invalidArgument("ExecSync in container %s: negative timeout %d", id, request.getTimeout());
        }
        String[] cmd = request.getCmdList().toArray(String[]::new);
        String what = String.join(" ", request.getCmdList());
        // no inspect first: exec create answers 404 for an unknown container and 409 for one that is not running,
        // and a full container inspect per exec probe was the costliest of its four Docker calls

        String execId;
        try {
            execId = docker.execCreateCmd(id)
                    .withCmd(cmd)
                    .withAttachStdin(false)
                    .withAttachStdout(true)
                    .withAttachStderr(true)
                    .withTty(false)
                    .exec()
                    .getId();
        } catch (NotFoundException e) {
            throw CriErrors.notFound("container %s not found", id);
        } catch (ConflictException e) {
            throw CriErrors.failedPrecondition("container %s is not running: %s", id, e.getMessage());
        }

        Collector out = new Collector();
        long deadlineNanos = request.getTimeout() == 0 ? Long.MAX_VALUE : System.nanoTime() + TimeUnit.SECONDS.toNanos(request.getTimeout());
        try {
            docker.execStartCmd(execId).withDetach(false).withTty(false).exec(out);
            boolean finished = awaitUntil(out, deadlineNanos);
            if (!finished) {
                kill(execId, id, what);
                throw CriErrors.deadlineExceeded("ExecSync of [%s] in container %s timed out after %ds", what, id, request.getTimeout());
            }
            if (out.error != null && !(out.error instanceof IOException)) {
                throw out.error;
            }
            InspectExecResponse exec = awaitExit(execId, deadlineNanos);
            if (Boolean.TRUE.equals(exec.isRunning())) {
                kill(execId, id, what);
                throw CriErrors.deadlineExceeded("ExecSync of [%s] in container %s timed out after %ds", what, id, request.getTimeout());
            }
            Long code = exec.getExitCodeLong();
            return ExecSyncResponse.newBuilder()
                    .setStdout(ByteString.copyFrom(out.stdout.toByteArray()))
                    .setStderr(ByteString.copyFrom(out.stderr.toByteArray()))
                    .setExitCode(code == null ? -1 : code.intValue())
                    .build();
        } catch (NotFoundException e) {
            throw CriErrors.notFound("container %s not found (exec of [%s]): %s", id, what, e.getMessage());
        } catch (DockerException e) {
            throw Status.UNKNOWN.withDescription(String.format("ExecSync of [%s] in container %s failed: %s", what, id, e.getMessage()))
                    .withCause(e).asRuntimeException();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill(execId, id, what);
            throw Status.CANCELLED.withDescription("ExecSync of [" + what + "] in container " + id + " interrupted").asRuntimeException();
        } catch (RuntimeException e) {
            if (e instanceof io.grpc.StatusRuntimeException) {
                throw e;
            }
            throw CriErrors.internal(e, "ExecSync of [%s] in container %s failed: %s", what, id, e.toString());
        } catch (Throwable t) {
            throw CriErrors.internal(t, "ExecSync of [%s] in container %s failed: %s", what, id, t.toString());
        } finally {
            try {
                out.close();
            } catch (IOException ignored) {
                // the stream is already gone
            }
        }
    }

    private static boolean awaitUntil(Collector out, long deadlineNanos) throws InterruptedException {
        while (true) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            if (out.awaitCompletion(Math.min(left, TimeUnit.SECONDS.toNanos(1)), TimeUnit.NANOSECONDS)) {
                return true;
            }
        }
    }

    /** The output stream can close a moment before Docker records the exit code. */
    private InspectExecResponse awaitExit(String execId, long deadlineNanos) throws InterruptedException {
        long until = Math.min(deadlineNanos, System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
        InspectExecResponse exec = docker.inspectExecCmd(execId).exec();
        while (Boolean.TRUE.equals(exec.isRunning()) && System.nanoTime() < until) {
            Thread.sleep(20);
            exec = docker.inspectExecCmd(execId).exec();
        }
        return exec;
    }

    private void kill(String execId, String containerId, String what) {
        ExecProcesses.kill(docker, execId, containerId, what, "timed out");
    }

    /** Collects stdout and stderr frames apart, dropping what exceeds the cap. */
    private static final class Collector extends ResultCallback.Adapter<Frame> {
        final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        volatile Throwable error;

        @Override
        public void onNext(Frame frame) {
            ByteArrayOutputStream target = frame.getStreamType() == StreamType.STDERR ? stderr : stdout;
            byte[] payload = frame.getPayload();
            synchronized (target) {
                int room = MAX_OUTPUT_BYTES - target.size();
                if (room > 0) {
                    target.write(payload, 0, Math.min(room, payload.length));
                }
            }
        }

        @Override
        public void onError(Throwable throwable) {
            error = throwable;
            try {
                close();
            } catch (IOException ignored) {
                // closing after a failure
            }
        }
    }
}
