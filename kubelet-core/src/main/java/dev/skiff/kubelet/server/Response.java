package dev.skiff.kubelet.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.function.Consumer;

/**
 * The answer to one request: exactly one of {@link #json}, {@link #text}, {@link #send}, {@link #stream} or {@link #upgrade}. Headers
 * set with {@link #header} go out with it. A HEAD request gets the same status and headers without a body.
 */
public final class Response {
    static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
    public static final String TEXT = "text/plain; charset=utf-8";

    private final Channel channel;
    private final Writability writability;
    private final HttpVersion version;
    private final boolean head;
    private final boolean keepAlive;
    private final Consumer<Boolean> onEnd;
    private final HttpHeaders headers = new DefaultHttpHeaders();
    private int status;
    private ChunkedOutputStream stream;
    private boolean ended;

    /** @param onEnd told once the whole response is handed to the connection, with whether to keep it open */
    Response(Channel channel, Writability writability, HttpVersion version, boolean head, boolean keepAlive,
             Consumer<Boolean> onEnd) {
        this.channel = channel;
        this.writability = writability;
        this.version = version;
        this.head = head;
        this.keepAlive = keepAlive;
        this.onEnd = onEnd;
    }

    /** Adds a header to the response (before it is sent). */
    public Response header(String name, String value) {
        headers.set(name, value);
        return this;
    }

    /** 200 with {@code body} as JSON; a Kubernetes list always carries {@code items} ({@code []} when empty). */
    public void json(Object body) throws IOException {
        Object tree = body instanceof KubernetesResourceList<?> list ? listWithItems(list) : body;
        send(200, "application/json", JSON.writeValueAsBytes(tree));
    }

    /** {@code status} with a plain text body. */
    public void text(int status, String body) {
        send(status, TEXT, body.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code status} with {@code body} of {@code contentType}, with its Content-Length. */
    public void send(int status, String contentType, byte[] body) {
        begin(status);
        FullHttpResponse r = new DefaultFullHttpResponse(version, HttpResponseStatus.valueOf(status),
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        prepare(r, contentType);
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
        end(channel.writeAndFlush(r));
    }

    /**
     * Starts a chunked response (or one of the Content-Length set with {@link #header}) and gives the stream to
     * write its body to: a write blocks while the client does not
     * read (up to a minute) and throws IOException once it has gone away. Closing the stream ends the response (the
     * server closes it after the handler, too). For HEAD the headers go out at once and a write throws.
     */
    public OutputStream stream(int status, String contentType) {
        begin(status);
        HttpResponse r = new DefaultHttpResponse(version, HttpResponseStatus.valueOf(status));
        prepare(r, contentType);
        if (head) {
            channel.write(r);
            end(channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT));
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    throw new IOException("HEAD request: no body is sent");
                }
            };
        }
        if (!r.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
            HttpUtil.setTransferEncodingChunked(r, true); // else the handler set the length it will write
        }
        channel.writeAndFlush(r);
        stream = new ChunkedOutputStream(channel, writability,
                () -> end(channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)));
        return stream;
    }

    /**
     * Hands the connection over to another protocol once the handler has sent the 101 itself (a proxy relays the
     * backend's): on the channel's event loop the HTTP handlers are removed (bytes they held are passed on) and
     * {@code then} gets the channel to install its own. The server no longer answers on this connection.
     */
    public void upgrade(Consumer<Channel> then) {
        begin(101);
        ended = true;
        channel.eventLoop().execute(() -> {
            KubeletServer.leaveHttp(channel.pipeline());
            then.accept(channel);
        });
    }

    /** The connection's event loop: where a handler that takes the connection over ({@link #upgrade}) runs its other channels. */
    public EventLoop eventLoop() {
        return channel.eventLoop();
    }

    /** Whether the status line has gone out (after that, a failure can only close the connection). */
    public boolean started() {
        return status != 0;
    }

    int status() {
        return status;
    }

    /** After the handler: ends an open stream; false when the handler sent nothing at all. */
    boolean finish() {
        if (stream != null && !stream.closed()) {
            try {
                stream.close();
            } catch (IOException e) {
                channel.close();
            }
        }
        return started();
    }

    /** Closes the connection without ending the response (a stream that failed half way). */
    void abort() {
        channel.close();
        if (!ended) {
            ended = true;
            onEnd.accept(false);
        }
    }

    private void begin(int status) {
        if (this.status != 0) {
            throw new IllegalStateException("response already sent (" + this.status + ")");
        }
        this.status = status;
    }

    private void prepare(HttpResponse r, String contentType) {
        r.headers().set(headers);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        r.headers().set("X-Content-Type-Options", "nosniff");
        r.headers().set(HttpHeaderNames.DATE, DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC)));
        HttpUtil.setKeepAlive(r, keepAlive);
    }

    private void end(ChannelFuture written) {
        ended = true;
        written.addListener(f -> onEnd.accept(keepAlive && f.isSuccess()));
    }

    private static ObjectNode listWithItems(KubernetesResourceList<?> list) {
        ObjectNode tree = JSON.valueToTree(list);
        if (!tree.has("items")) {
            tree.putArray("items");
        }
        return tree;
    }
}
