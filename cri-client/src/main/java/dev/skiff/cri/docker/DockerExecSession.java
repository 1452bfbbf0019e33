package dev.skiff.cri.docker;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectExecResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.skiff.cri.streaming.CommandOutput;
import dev.skiff.cri.streaming.CommandResult;
import dev.skiff.cri.streaming.TerminalSize;
import dev.skiff.cri.v1.ExecRequest;
import io.netty.channel.EventLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * A streamed exec on Docker, as cri-dockerd does it: exec create with the streams the client
 * asked for, exec start hijacked, resizes by {@code POST /exec/ID/resize}, the exit code from
 * exec inspect once the stream ends (non-zero reported with cri-dockerd's text "Error
 * executing in Docker Container: N"). A client that leaves first gets its process killed.
 */
final class DockerExecSession extends DockerStreamSession {
    private static final Logger log = LoggerFactory.getLogger(DockerExecSession.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The stream can close a moment before Docker records the exit code. */
    private static final long EXIT_WAIT_MILLIS = 5_000;

    private final DockerClient client;
    private final ExecRequest request;
    private volatile String execId;

    DockerExecSession(DockerClient client, ExecRequest request, CommandOutput output, EventLoop loop, Executor docker, SocketAddress dockerAddress) {
        super(output, loop, docker, dockerAddress);
        this.client = client;
        this.request = request;
    }

    @Override
    protected Target prepare() throws Exception {
        String id = request.getContainerId();
        try {
            execId = client.execCreateCmd(id)
                    .withCmd(request.getCmdList().toArray(String[]::new))
                    .withAttachStdin(request.getStdin())
                    .withAttachStdout(request.getStdout())
                    .withAttachStderr(request.getStderr())
                    .withTty(request.getTty())
                    .exec()
                    .getId();
        } catch (NotFoundException e) {
            throw new IllegalStateException("container " + id + " not found");
        } catch (ConflictException e) {
            throw new IllegalStateException("container " + id + " is not running");
        }
        String body = JSON.writeValueAsString(Map.of("Detach", false, "Tty", request.getTty()));
        return new Target("/v" + DockerEndpoint.API_VERSION + "/exec/" + execId + "/start", body, request.getTty());
    }

    @Override
    protected void resizeOnDocker(TerminalSize size) {
        try {
            client.resizeExecCmd(execId).withSize(size.height(), size.width()).exec();
        } catch (RuntimeException e) {
            log.debug("{}: resize to {}x{} refused: {}", describe(), size.width(), size.height(), e.getMessage());
        }
    }

    @Override
    protected CommandResult result() {
        long until = System.nanoTime() + EXIT_WAIT_MILLIS * 1_000_000;
        InspectExecResponse exec = client.inspectExecCmd(execId).exec();
        while (Boolean.TRUE.equals(exec.isRunning()) && System.nanoTime() < until) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            exec = client.inspectExecCmd(execId).exec();
        }
        if (Boolean.TRUE.equals(exec.isRunning())) {
            return CommandResult.error("the exec's output ended but its process still runs");
        }
        Long code = exec.getExitCodeLong();
        int c = code == null ? -1 : code.intValue();
        return CommandResult.exited(c, "Error executing in Docker Container: " + c);
    }

    @Override
    protected void abandon() {
        if (execId != null) {
            ExecProcesses.kill(client, execId, request.getContainerId(), String.join(" ", request.getCmdList()), "lost its client");
        }
    }

    @Override
    protected String describe() {
        return "exec of " + request.getCmdList() + " in container " + DockerErrors.shortId(request.getContainerId());
    }
}
