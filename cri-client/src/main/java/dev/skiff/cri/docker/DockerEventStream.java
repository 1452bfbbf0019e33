package dev.skiff.cri.docker;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.URLEncoder;
import java.net.UnixDomainSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * One connection to Docker's {@code GET /events}, filtered to container, image and network events, read on the
 * caller's thread with a timeout per wait. {@link #close()} from any thread ends a wait at once.
 */
final class DockerEventStream implements AutoCloseable {
    static final String FILTERS = "{\"type\":[\"container\",\"image\",\"network\"]}";

    private final SocketChannel channel;
    private final Selector selector;
    private final EventBodyDecoder decoder = new EventBodyDecoder();
    private final Deque<String> lines = new ArrayDeque<>();
    private final ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);

    private DockerEventStream(SocketChannel channel, Selector selector) {
        this.channel = channel;
        this.selector = selector;
    }

    /** Connects (within {@code timeout}) and asks for the events; Docker's answer is read by {@link #next}. */
    static DockerEventStream open(SocketAddress docker, Duration timeout) throws IOException {
        SocketChannel ch = docker instanceof UnixDomainSocketAddress
                ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
        Selector selector = null;
        try {
            selector = Selector.open();
            ch.configureBlocking(false);
            if (!ch.connect(docker)) {
                SelectionKey key = ch.register(selector, SelectionKey.OP_CONNECT);
                if (selector.select(timeout.toMillis()) == 0 || !ch.finishConnect()) {
                    throw new IOException("cannot connect to Docker at " + docker + " within " + timeout);
                }
                key.cancel();
                selector.selectNow();
            }
            String request = "GET /v" + DockerEndpoint.API_VERSION + "/events?filters="
                    + URLEncoder.encode(FILTERS, StandardCharsets.UTF_8) + " HTTP/1.1\r\n"
                    + "Host: docker\r\nUser-Agent: skiff-cri-index\r\nAccept: application/json\r\n\r\n";
            ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (out.hasRemaining()) {
                if (ch.write(out) == 0) {
                    if (System.nanoTime() > deadline) {
                        throw new IOException("cannot send the event request to Docker within " + timeout);
                    }
                    Thread.onSpinWait();
                }
            }
            ch.register(selector, SelectionKey.OP_READ);
            return new DockerEventStream(ch, selector);
        } catch (IOException | RuntimeException e) {
            if (selector != null) {
                selector.close();
            }
            ch.close();
            throw e;
        }
    }

    /**
     * The next event, waiting at most {@code timeout}; empty when none came. EOFException when Docker ended the
     * stream (a daemon going away), IOException on anything else.
     */
    Optional<DockerEvent> next(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (lines.isEmpty()) {
            long left = Duration.ofNanos(deadline - System.nanoTime()).toMillis();
            if (left <= 0) {
                return Optional.empty();
            }
            selector.select(left);
            selector.selectedKeys().clear();
            if (!channel.isOpen()) {
                throw new EOFException("event stream closed");
            }
            buffer.clear();
            int n = channel.read(buffer);
            if (n < 0 || decoder.done()) {
                throw new EOFException("Docker ended the event stream");
            }
            buffer.flip();
            lines.addAll(decoder.feed(buffer));
        }
        return Optional.of(DockerEvent.parse(lines.poll()));
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing
        }
        selector.wakeup();
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
