package dev.skiff.kubelet.server.streaming;

import dev.skiff.kubelet.server.Request;
import dev.skiff.kubelet.server.Response;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Upstream's UpgradeAwareHandler as the kubelet uses it (redirect-container-streaming off): the client's upgrade
 * request goes to the runtime's streaming URL with the client's headers (not its credentials), the runtime's answer
 * comes back, and after a 101 both connections are spliced byte for byte on the kubelet's event loop; TLS stays
 * between the client and the kubelet. Anything but a 101 is answered to the client as plain HTTP with the runtime's
 * status and body.
 */
public final class UpgradeProxy {
    private static final Logger log = LoggerFactory.getLogger(UpgradeProxy.class);
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(30);
    /** Hop-by-hop or per-connection headers the proxy sets itself, and the client's credentials, which stay here. */
    private static final Set<String> NOT_FORWARDED = Set.of("host", "authorization", "content-length",
            "transfer-encoding", "expect", "proxy-authorization", "proxy-connection", "keep-alive", "te", "trailer");

    private UpgradeProxy() {
    }

    /** Whether the client asked for an upgrade ({@code Connection: Upgrade} and an {@code Upgrade} header). */
    public static boolean isUpgrade(Request req) {
        return req.header("Upgrade").isPresent()
                && req.header("Connection").map(c -> c.toLowerCase(Locale.ROOT).contains("upgrade")).orElse(false);
    }

    /** Whether the client asked for a WebSocket. */
    public static boolean isWebSocket(Request req) {
        return isUpgrade(req) && req.header("Upgrade").get().equalsIgnoreCase("websocket");
    }

    /**
     * Proxies {@code req} to {@code url} and answers {@code res}: the runtime's 101 and then the spliced connection,
     * or its refusal. Blocks the handler thread until the runtime answered (not for the session).
     *
     * @param what for the log: "exec in pod ns/name uid … container app"
     */
    public static void proxy(Request req, Response res, URI url, String what) throws IOException, InterruptedException {
        if (!"http".equals(url.getScheme()) || url.getHost() == null) {
            throw new IOException("the runtime returned a streaming URL Skiff cannot follow (want http://host:port/…): " + url);
        }
        int port = url.getPort() < 0 ? 80 : url.getPort();
        BackendResponse reader = new BackendResponse();
        Bootstrap b = new Bootstrap().group(res.eventLoop()).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) CONNECT_TIMEOUT.toMillis())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(64 * 1024, 256 * 1024))
                .handler(reader);
        ChannelFuture connect = b.connect(url.getHost(), port);
        if (!connect.await(CONNECT_TIMEOUT.toMillis() + 1000) || !connect.isSuccess()) {
            connect.channel().close();
            Throwable t = connect.cause();
            throw new IOException("cannot reach the runtime's streaming server at " + url.getHost() + ":" + port + ": "
                    + (t == null ? "timed out" : t.getMessage()));
        }
        Channel backend = connect.channel();
        backend.writeAndFlush(io.netty.buffer.Unpooled.wrappedBuffer(head(req, url, port).getBytes(StandardCharsets.ISO_8859_1)));
        BackendResponse.Answer answer;
        try {
            answer = reader.answer.get(ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            backend.close();
            throw new IOException("the runtime's streaming server did not answer within " + ANSWER_TIMEOUT.toSeconds() + "s");
        } catch (ExecutionException e) {
            backend.close();
            throw new IOException(e.getCause().getMessage(), e.getCause());
        }
        if (answer.status() != 101) {
            byte[] body = ByteBufUtil.getBytes(answer.bytes());
            answer.bytes().release();
            log.info("{}: the runtime's streaming server refused the session: {} {}", what, answer.status(),
                    new String(body, StandardCharsets.UTF_8).strip());
            res.send(answer.status(), answer.contentType().isEmpty() ? Response.TEXT : answer.contentType(), body);
            return;
        }
        long started = System.nanoTime();
        log.info("{}: session started ({} via {})", what, req.header("Upgrade").orElse(""), url.getHost() + ":" + port);
        res.upgrade(client -> {
            backend.pipeline().remove(reader);
            client.writeAndFlush(answer.bytes());
            Splice.join(client, backend, () -> log.debug("{}: session ended after {} ms", what,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)));
            backend.config().setAutoRead(true);
        });
    }

    /** The request line and headers sent to the runtime: the URL's path and query, the client's headers. */
    static String head(Request req, URI url, int port) {
        StringBuilder b = new StringBuilder();
        String target = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        if (url.getRawQuery() != null) {
            target += "?" + url.getRawQuery();
        }
        b.append(req.method()).append(' ').append(target).append(" HTTP/1.1\r\n");
        b.append("Host: ").append(url.getHost()).append(':').append(port).append("\r\n");
        for (Map.Entry<String, String> h : req.headerList()) {
            if (!NOT_FORWARDED.contains(h.getKey().toLowerCase(Locale.ROOT))) {
                b.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
            }
        }
        if (!req.method().equals("GET") && !req.method().equals("HEAD")) {
            b.append("Content-Length: 0\r\n"); // the kubelet took any body; these requests have none
        }
        return b.append("\r\n").toString();
    }
}
