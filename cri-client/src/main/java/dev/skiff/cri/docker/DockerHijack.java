package dev.skiff.cri.docker;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A hijacked Docker API connection, as {@code docker exec -i} and {@code docker attach} use:
 * an HTTP request with {@code Upgrade: tcp} on Docker's Unix socket, after whose 101 (or 200)
 * response the socket carries the raw stream both ways. Runs on the caller's event loop, so a
 * session's bytes need no thread of their own. The stream handler gets {@link #UPGRADED} as a
 * user event before the first stream byte; a refusal arrives as an {@link IOException} with
 * Docker's message.
 */
final class DockerHijack {
    static final Object UPGRADED = new Object();
    private static final int MAX_HEAD = 16 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private DockerHijack() {}

    /** Where Docker listens: a Unix socket for {@code unix://PATH}, TCP for {@code tcp://HOST:PORT}. */
    static SocketAddress address(String endpoint) {
        if (endpoint.startsWith("unix://")) {
            return UnixDomainSocketAddress.of(Path.of(endpoint.substring("unix://".length())));
        }
        if (endpoint.startsWith("tcp://")) {
            URI uri = URI.create(endpoint);
            return InetSocketAddress.createUnresolved(uri.getHost(), uri.getPort());
        }
        throw new IllegalArgumentException("Docker endpoint " + endpoint + " is neither unix:// nor tcp://");
    }

    /** Connects and sends {@code POST path} with the JSON body; the stream handler sits after the response parser. */
    static ChannelFuture open(EventLoop loop, SocketAddress docker, String path, String jsonBody, ChannelHandler stream) {
        byte[] body = jsonBody.getBytes(StandardCharsets.UTF_8);
        String head = "POST " + path + " HTTP/1.1\r\n"
                + "Host: docker\r\n"
                + "User-Agent: skiff-cri-streaming\r\n"
                + "Content-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + "Connection: Upgrade\r\n"
                + "Upgrade: tcp\r\n\r\n";
        ByteBuf request = Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.US_ASCII), body);
        ChannelFuture connect = new Bootstrap()
                .group(loop)
                .channel(docker instanceof UnixDomainSocketAddress ? NioDomainSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast("docker-response", new ResponseHead()).addLast("docker-stream", stream);
                    }
                })
                .connect(docker);
        connect.addListener(f -> {
            if (f.isSuccess()) {
                connect.channel().writeAndFlush(request);
            } else {
                request.release();
            }
        });
        return connect;
    }

    /** Reads the HTTP response head; on 101/200 hands the rest of the bytes on as the raw stream. */
    private static final class ResponseHead extends ByteToMessageDecoder {
        private int status = -1;
        private int bodyStart;
        private int contentLength = -1;

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws IOException {
            if (status < 0) {
                int end = indexOf(in, "\r\n\r\n");
                if (end < 0) {
                    if (in.readableBytes() > MAX_HEAD) {
                        throw new IOException("Docker's response head exceeds " + MAX_HEAD + " bytes");
                    }
                    return;
                }
                String head = in.toString(in.readerIndex(), end - in.readerIndex(), StandardCharsets.ISO_8859_1);
                String[] statusLine = head.split("\r\n", 2)[0].split(" ", 3);
                try {
                    status = Integer.parseInt(statusLine[1]);
                } catch (RuntimeException e) {
                    throw new IOException("Docker answered with no HTTP status line");
                }
                bodyStart = end + 4 - in.readerIndex();
                if (status == 101 || status == 200) {
                    in.readerIndex(in.readerIndex() + bodyStart);
                    ctx.fireUserEventTriggered(UPGRADED);
                    ctx.pipeline().remove(this);
                    return;
                }
                String lower = head.toLowerCase(Locale.ROOT);
                int cl = lower.indexOf("\r\ncontent-length:");
                if (cl >= 0) {
                    int eol = lower.indexOf("\r\n", cl + 2);
                    contentLength = Integer.parseInt(lower.substring(cl + 17, eol < 0 ? lower.length() : eol).trim());
                }
            }
            // a refusal: Docker keeps the connection open, so the body's end is found by length or by the last chunk
            int have = in.writerIndex() - (in.readerIndex() + bodyStart);
            boolean complete = contentLength >= 0 ? have >= contentLength : indexOf(in, "0\r\n\r\n") >= 0;
            if (complete || have > MAX_HEAD) {
                String body = in.toString(in.readerIndex() + bodyStart, Math.min(have, MAX_HEAD), StandardCharsets.UTF_8);
                in.skipBytes(in.readableBytes());
                throw new IOException(message(status, body));
            }
        }

        @Override
        protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
            if (status >= 0 && status != 101 && status != 200) {
                int from = Math.min(in.readerIndex() + bodyStart, in.writerIndex());
                String body = in.toString(from, in.writerIndex() - from, StandardCharsets.UTF_8);
                in.skipBytes(in.readableBytes());
                throw new IOException(message(status, body));
            }
            super.decodeLast(ctx, in, out);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            boolean upgraded = status == 101 || status == 200;
            super.channelInactive(ctx);
            if (!upgraded && status < 0) {
                ctx.fireExceptionCaught(new IOException("Docker closed the connection before answering"));
            }
        }

        /** Docker's errors are {@code {"message":"..."}}; chunked bodies carry it after a size line. */
        static String message(int status, String body) {
            int brace = body.indexOf('{');
            if (brace >= 0) {
                try {
                    String m = JSON.readTree(body.substring(brace, body.lastIndexOf('}') + 1)).path("message").asText("");
                    if (!m.isEmpty()) {
                        return m;
                    }
                } catch (IOException | RuntimeException ignored) {
                    // not JSON: use the status
                }
            }
            return "Docker answered HTTP " + status;
        }

        private static int indexOf(ByteBuf in, String needle) {
            byte[] n = needle.getBytes(StandardCharsets.US_ASCII);
            outer:
            for (int i = in.readerIndex(); i <= in.writerIndex() - n.length; i++) {
                for (int j = 0; j < n.length; j++) {
                    if (in.getByte(i + j) != n[j]) {
                        continue outer;
                    }
                }
                return i;
            }
            return -1;
        }
    }

    static boolean isNotFound(Throwable e) {
        return e.getMessage() != null && e.getMessage().toLowerCase(Locale.ROOT).contains("no such");
    }
}
