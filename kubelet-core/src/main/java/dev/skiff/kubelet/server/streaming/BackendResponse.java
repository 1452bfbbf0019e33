package dev.skiff.kubelet.server.streaming;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * Reads the streaming server's answer to the proxied request. A 101 completes as soon as its head is in, with every
 * byte read so far (head and any protocol bytes after it) and reading paused, so nothing is lost before the splice is
 * in place. Any other status completes with its body (by Content-Length, or up to the close), so the kubelet can
 * answer it as plain HTTP.
 */
final class BackendResponse extends ChannelInboundHandlerAdapter {
    static final int MAX_BYTES = 64 * 1024;
    private static final byte[] END_OF_HEAD = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /**
     * @param status      the HTTP status
     * @param contentType the Content-Type header ("" when absent)
     * @param bytes       for 101: the raw head and what followed; otherwise: the body
     */
    record Answer(int status, String contentType, ByteBuf bytes) {}

    final CompletableFuture<Answer> answer = new CompletableFuture<>();
    private ByteBuf buf;
    private int headLength = -1;
    private int status;
    private String contentType = "";
    private long contentLength = -1;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        buf = ctx.alloc().buffer();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (!answer.isDone()) {
            buf.release();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        try {
            if (answer.isDone()) {
                return; // a late byte after a non-101 answer: the connection is closed anyway
            }
            buf.writeBytes(in);
        } finally {
            in.release();
        }
        if (headLength < 0) {
            int end = ByteBufUtil.indexOf(io.netty.buffer.Unpooled.wrappedBuffer(END_OF_HEAD), buf);
            if (end < 0) {
                if (buf.readableBytes() > MAX_BYTES) {
                    fail(ctx, new IOException("the runtime's streaming server sent a response head over " + MAX_BYTES + " bytes"));
                }
                return;
            }
            headLength = end - buf.readerIndex() + END_OF_HEAD.length;
            try {
                parseHead(buf.toString(buf.readerIndex(), headLength, StandardCharsets.ISO_8859_1));
            } catch (IOException e) {
                fail(ctx, e);
                return;
            }
            if (status == 101) {
                ctx.channel().config().setAutoRead(false);
                answer.complete(new Answer(101, contentType, buf));
                return;
            }
        }
        if (contentLength >= 0 && buf.readableBytes() - headLength >= contentLength) {
            complete(ctx);
        } else if (buf.readableBytes() - headLength > MAX_BYTES) {
            fail(ctx, new IOException("the runtime's streaming server answered " + status + " with a body over " + MAX_BYTES + " bytes"));
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!answer.isDone()) {
            if (headLength >= 0 && contentLength < 0) {
                complete(ctx); // a body that ends with the connection
            } else {
                fail(ctx, new IOException("the runtime's streaming server closed the connection before it answered"));
            }
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, cause);
    }

    private void complete(ChannelHandlerContext ctx) {
        int bodyLength = contentLength >= 0 ? (int) contentLength : buf.readableBytes() - headLength;
        ByteBuf body = buf.retainedSlice(buf.readerIndex() + headLength, bodyLength);
        buf.release();
        answer.complete(new Answer(status, contentType, body));
        ctx.close();
    }

    private void fail(ChannelHandlerContext ctx, Throwable cause) {
        if (!answer.isDone()) {
            buf.release();
            answer.completeExceptionally(cause);
        }
        ctx.close();
    }

    private void parseHead(String head) throws IOException {
        String[] lines = head.split("\r\n");
        String[] statusLine = lines[0].split(" ", 3);
        if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
            throw new IOException("the runtime's streaming server did not answer HTTP/1.1: " + printable(lines[0]));
        }
        try {
            status = Integer.parseInt(statusLine[1]);
        } catch (NumberFormatException e) {
            throw new IOException("the runtime's streaming server sent a bad status line: " + printable(lines[0]));
        }
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = lines[i].substring(colon + 1).trim();
            if (name.equals("content-type")) {
                contentType = value;
            } else if (name.equals("content-length")) {
                try {
                    contentLength = Long.parseLong(value);
                } catch (NumberFormatException e) {
                    throw new IOException("the runtime's streaming server sent a bad Content-Length: " + printable(value));
                }
                if (contentLength > MAX_BYTES) {
                    throw new IOException("the runtime's streaming server answered " + status + " with a body of "
                            + contentLength + " bytes");
                }
            }
        }
    }

    private static String printable(String s) {
        String t = s.length() > 80 ? s.substring(0, 80) + "…" : s;
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
