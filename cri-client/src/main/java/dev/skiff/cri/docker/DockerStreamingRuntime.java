package dev.skiff.cri.docker;

import com.github.dockerjava.api.DockerClient;
import dev.skiff.cri.streaming.CommandOutput;
import dev.skiff.cri.streaming.CommandSession;
import dev.skiff.cri.streaming.PodPortDialer;
import dev.skiff.cri.streaming.StreamingRuntime;
import dev.skiff.cri.v1.AttachRequest;
import dev.skiff.cri.v1.ExecRequest;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.SocketAddress;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Streaming sessions on Docker Engine. Docker's API calls around a session (exec create,
 * resize, inspect, kill) block, so they run on a small bounded pool ({@code cri-streaming-docker});
 * the streams themselves ride the streaming server's event loops.
 */
final class DockerStreamingRuntime implements StreamingRuntime, AutoCloseable {
    private static final int DOCKER_THREADS = 4;

    private final DockerClient docker;
    private final SocketAddress dockerAddress;
    private final PodPortDialer ports;
    private final ThreadPoolExecutor calls;

    DockerStreamingRuntime(DockerClient docker, SocketAddress dockerAddress, PodPortDialer ports) {
        this.docker = docker;
        this.dockerAddress = dockerAddress;
        this.ports = ports;
        this.calls = new ThreadPoolExecutor(DOCKER_THREADS, DOCKER_THREADS, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(4096), new DefaultThreadFactory("cri-streaming-docker", true));
        this.calls.allowCoreThreadTimeOut(true);
    }

    @Override
    public CommandSession exec(ExecRequest request, CommandOutput output, EventLoop loop) {
        DockerExecSession s = new DockerExecSession(docker, request, output, loop, calls, dockerAddress);
        s.start();
        return s;
    }

    @Override
    public CommandSession attach(AttachRequest request, CommandOutput output, EventLoop loop) {
        DockerAttachSession s = new DockerAttachSession(docker, request, output, loop, calls, dockerAddress);
        s.start();
        return s;
    }

    @Override
    public PodPortDialer ports() {
        return ports;
    }

    @Override
    public void close() {
        calls.shutdownNow();
    }
}
