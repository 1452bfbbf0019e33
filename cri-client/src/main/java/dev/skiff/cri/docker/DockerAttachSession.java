package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.skiff.cri.streaming.CommandOutput;
import dev.skiff.cri.streaming.CommandResult;
import dev.skiff.cri.streaming.TerminalSize;
import dev.skiff.cri.v1.AttachRequest;
import io.netty.channel.EventLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.SocketAddress;
import java.util.concurrent.Executor;

/**
 * A streamed attach on Docker: {@code POST /containers/ID/attach?stream=1} hijacked, stdin
 * only when the container was created with it open (Docker then closes it after the first
 * client's EOF when stdinOnce was set), the stream format from the container's own TTY
 * setting. Leaving early detaches; the container keeps running.
 */
final class DockerAttachSession extends DockerStreamSession {
    private static final Logger log = LoggerFactory.getLogger(DockerAttachSession.class);

    private final DockerClient client;
    private final AttachRequest request;

    DockerAttachSession(DockerClient client, AttachRequest request, CommandOutput output, EventLoop loop, Executor docker, SocketAddress dockerAddress) {
        super(output, loop, docker, dockerAddress);
        this.client = client;
        this.request = request;
    }

    @Override
    protected Target prepare() {
        String id = request.getContainerId();
        InspectContainerResponse c;
        try {
            c = client.inspectContainerCmd(id).exec();
        } catch (NotFoundException e) {
            throw new IllegalStateException("container " + id + " not found");
        }
        if (c.getState() == null || !Boolean.TRUE.equals(c.getState().getRunning())) {
            throw new IllegalStateException("container " + id + " is not running");
        }
        boolean tty = c.getConfig() != null && Boolean.TRUE.equals(c.getConfig().getTty());
        boolean stdin = request.getStdin() && c.getConfig() != null && Boolean.TRUE.equals(c.getConfig().getStdinOpen());
        String path = "/v" + DockerEndpoint.API_VERSION + "/containers/" + c.getId() + "/attach?stream=1"
                + "&stdin=" + (stdin ? 1 : 0) + "&stdout=" + (request.getStdout() ? 1 : 0) + "&stderr=" + (request.getStderr() ? 1 : 0);
        return new Target(path, "", tty);
    }

    @Override
    protected void resizeOnDocker(TerminalSize size) {
        try {
            client.resizeContainerCmd(request.getContainerId()).withSize(size.height(), size.width()).exec();
        } catch (RuntimeException e) {
            log.debug("{}: resize to {}x{} refused: {}", describe(), size.width(), size.height(), e.getMessage());
        }
    }

    @Override
    protected CommandResult result() {
        return CommandResult.success();
    }

    @Override
    protected void abandon() {
        // detaching is all: the container is not the client's to stop
    }

    @Override
    protected String describe() {
        return "attach to container " + DockerErrors.shortId(request.getContainerId());
    }
}
