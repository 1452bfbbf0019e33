package dev.skiff.cri.docker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.URLDecoder;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny stand-in for dockerd on a Unix socket that answers just what a log copier asks: the logs
 * API of one container (its lines as stdcopy frames with timestamps, honouring {@code since} in whole
 * seconds as Docker does; a followed stream hands them out slowly) and inspect (the container has
 * exited). Every answer closes its connection. Inspect of a container {@link #hangInspectOf named} is left
 * unanswered, as by a hung dockerd, until the daemon closes.
 */
final class FakeLogDaemon implements AutoCloseable {
    record Line(Instant time, String text) {}

    private final ServerSocketChannel server;
    private final List<Line> lines;
    private final long followDelayMillis;
    private final Thread acceptor;
    private final Set<String> hung = ConcurrentHashMap.newKeySet();
    private final AtomicInteger inspectsHeld = new AtomicInteger();
    private final CountDownLatch closed = new CountDownLatch(1);

    FakeLogDaemon(Path socket, List<Line> lines, long followDelayMillis) throws IOException {
        this.lines = List.copyOf(lines);
        this.followDelayMillis = followDelayMillis;
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        acceptor = new Thread(this::accept, "fake-dockerd");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** From now on inspect of {@code containerId} gets no answer. */
    void hangInspectOf(String containerId) {
        hung.add(containerId);
    }

    /** How many inspect requests went unanswered so far. */
    int inspectsHeld() {
        return inspectsHeld.get();
    }

    private void accept() {
        while (server.isOpen()) {
            try {
                SocketChannel c = server.accept();
                Thread t = new Thread(() -> serve(c), "fake-dockerd-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(SocketChannel c) {
        try (c; InputStream in = Channels.newInputStream(c); OutputStream out = Channels.newOutputStream(c)) {
            String target = requestTarget(in);
            if (target.contains("/logs?")) {
                logs(target, out);
            } else if (target.endsWith("/json") && hung.stream().anyMatch(target::contains)) {
                inspectsHeld.incrementAndGet();
                closed.await();
            } else if (target.endsWith("/json")) {
                byte[] body = "{\"Id\":\"c0ffee\",\"State\":{\"Running\":false,\"Status\":\"exited\"},\"Config\":{}}"
                        .getBytes(StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
            } else {
                out.write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.flush();
        } catch (IOException | InterruptedException e) {
            // the client went away
        }
    }

    private void logs(String target, OutputStream out) throws IOException, InterruptedException {
        boolean follow = target.contains("follow=1");
        long since = 0;
        for (String kv : target.substring(target.indexOf('?') + 1).split("&")) {
            if (kv.startsWith("since=")) {
                since = Long.parseLong(URLDecoder.decode(kv.substring(6), StandardCharsets.UTF_8));
            }
        }
        out.write("HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: close\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        for (Line line : lines) {
            if (line.time().getEpochSecond() < since) {
                continue;
            }
            byte[] payload = (CriLogLine.formatTime(line.time()) + " " + line.text() + "\n").getBytes(StandardCharsets.UTF_8);
            byte[] header = {1, 0, 0, 0, (byte) (payload.length >>> 24), (byte) (payload.length >>> 16),
                    (byte) (payload.length >>> 8), (byte) payload.length};
            out.write(header);
            out.write(payload);
            out.flush();
            if (follow) {
                Thread.sleep(followDelayMillis);
            }
        }
    }

    private static String requestTarget(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            String s = head.toString(StandardCharsets.US_ASCII);
            if (s.endsWith("\r\n\r\n")) {
                return s.split(" ", 3)[1];
            }
        }
        throw new IOException("request ended early");
    }

    @Override
    public void close() throws IOException {
        closed.countDown();
        server.close();
    }
}
