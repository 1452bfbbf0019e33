package dev.skiff.cri.streaming;

import dev.skiff.cri.v1.AttachRequest;
import dev.skiff.cri.v1.ExecRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyFrame;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdyGoAwayFrame;
import io.netty.handler.codec.spdy.SpdySynReplyFrame;
import io.netty.handler.codec.spdy.SpdyVersion;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The SPDY side of the streaming server on an in-memory channel with an echoing fake runtime:
 * the upgrade and its negotiation, stream setup, stdin to the session, output and the Status.
 */
class SpdyRemoteCommandTest {
    private final RequestCache cache = new RequestCache();
    private final List<TerminalSize> resizes = new ArrayList<>();
    private final StringBuilder stdin = new StringBuilder();
    private boolean cancelled;

    /** Echoes stdin upper-cased to stdout; ends with exit code 3 at stdin's end. */
    private final StreamingRuntime echo = new StreamingRuntime() {
        @Override
        public CommandSession exec(ExecRequest request, CommandOutput output, EventLoop loop) {
            output.stdout(Unpooled.copiedBuffer("started\n", StandardCharsets.UTF_8));
            return new CommandSession() {
                @Override
                public void stdin(ByteBuf data) {
                    String s = data.toString(StandardCharsets.UTF_8);
                    data.release();
                    stdin.append(s);
                    output.stdout(Unpooled.copiedBuffer(s.toUpperCase(), StandardCharsets.UTF_8));
                }

                @Override
                public void closeStdin() {
                    output.finished(CommandResult.exited(3, "Error executing in Docker Container: 3"));
                }

                @Override
                public void resize(TerminalSize size) {
                    resizes.add(size);
                }

                @Override
                public void cancel() {
                    cancelled = true;
                }
            };
        }

        @Override
        public CommandSession attach(AttachRequest request, CommandOutput output, EventLoop loop) {
            throw new UnsupportedOperationException();
        }

        @Override
        public PodPortDialer ports() {
            throw new UnsupportedOperationException();
        }
    };

    private final EmbeddedChannel server = new EmbeddedChannel();
    private final EmbeddedChannel encoder = new EmbeddedChannel(new SpdyFrameCodec(SpdyVersion.SPDY_3_1));
    private final EmbeddedChannel decoder = new EmbeddedChannel(new SpdyFrameCodec(SpdyVersion.SPDY_3_1));

    SpdyRemoteCommandTest() {
        server.pipeline()
                .addLast(StreamingServer.HTTP_CODEC, new HttpServerCodec())
                .addLast(StreamingServer.AGGREGATOR, new HttpObjectAggregator(65536))
                .addLast(new StreamingHttpHandler(cache, echo, Duration.ofSeconds(30), Runnable::run));
    }

    private String upgrade(String token, String... protocols) {
        StringBuilder req = new StringBuilder("POST /exec/" + token + " HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n");
        for (String p : protocols) {
            req.append("X-Stream-Protocol-Version: ").append(p).append("\r\n");
        }
        req.append("Content-Length: 0\r\n\r\n");
        server.writeInbound(Unpooled.copiedBuffer(req, StandardCharsets.US_ASCII));
        return outbound();
    }

    private String outbound() {
        StringBuilder out = new StringBuilder();
        ByteBuf b;
        while ((b = server.readOutbound()) != null) {
            out.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return out.toString();
    }

    private void send(SpdyFrame frame) {
        encoder.writeOutbound(frame);
        ByteBuf b;
        while ((b = encoder.readOutbound()) != null) {
            server.writeInbound(b);
        }
    }

    private List<Object> frames() {
        ByteBuf b;
        while ((b = server.readOutbound()) != null) {
            decoder.writeInbound(b);
        }
        List<Object> out = new ArrayList<>();
        Object f;
        while ((f = decoder.readInbound()) != null) {
            out.add(f);
        }
        return out;
    }

    private static DefaultSpdySynStreamFrame stream(int id, String type) {
        DefaultSpdySynStreamFrame syn = new DefaultSpdySynStreamFrame(id, 0, (byte) 0);
        syn.headers().set("streamtype", type);
        return syn;
    }

    private String token(boolean tty) {
        return cache.insert(ExecRequest.newBuilder().setContainerId("c").addCmd("sh").setStdin(true).setStdout(true)
                .setStderr(!tty).setTty(tty).build());
    }

    @Test
    void execOverSpdyCarriesStdinOutputAndTheStatus() {
        String head = upgrade(token(true), "v4.channel.k8s.io", "v3.channel.k8s.io");
        assertTrue(head.startsWith("HTTP/1.1 101 Switching Protocols\r\n"), head);
        assertTrue(head.contains("x-stream-protocol-version: v4.channel.k8s.io") || head.contains("X-Stream-Protocol-Version: v4.channel.k8s.io"), head);
        send(stream(1, "error"));
        send(stream(3, "stdin"));
        send(stream(5, "stdout"));
        send(stream(7, "resize"));
        List<Object> frames = frames();
        long replies = frames.stream().filter(f -> f instanceof SpdySynReplyFrame r && !r.headers().isEmpty()).count();
        assertEquals(4, replies, "every stream is accepted, with a non-empty header block: " + frames);
        assertTrue(text(frames, 5).contains("started\n"), "the session started once error, stdin and stdout were open");

        send(new DefaultSpdyDataFrame(7, Unpooled.copiedBuffer("{\"Width\":90,\"Height\":30}", StandardCharsets.UTF_8)));
        send(new DefaultSpdyDataFrame(3, Unpooled.copiedBuffer("abc", StandardCharsets.UTF_8)));
        assertEquals("ABC", text(frames(), 5));
        assertEquals(List.of(new TerminalSize(90, 30)), resizes);

        DefaultSpdyDataFrame fin = new DefaultSpdyDataFrame(3, Unpooled.EMPTY_BUFFER);
        fin.setLast(true);
        send(fin);
        frames = frames();
        assertTrue(text(frames, 1).contains("\"reason\":\"NonZeroExitCode\""), text(frames, 1));
        assertTrue(frames.stream().anyMatch(f -> f instanceof SpdyDataFrame d && d.streamId() == 5 && d.isLast()), "stdout ended");
        assertTrue(frames.stream().anyMatch(f -> f instanceof SpdyDataFrame d && d.streamId() == 1 && d.isLast()), "error stream ended");
        assertTrue(frames.stream().anyMatch(f -> f instanceof SpdyGoAwayFrame), "then GOAWAY");
        assertFalse(server.isOpen(), "and the connection closes");
        assertFalse(cancelled, "a session that ended is not cancelled");
    }

    @Test
    void aClientThatLeavesCancelsTheSession() {
        upgrade(token(false), "v4.channel.k8s.io");
        send(stream(1, "error"));
        send(stream(3, "stdin"));
        send(stream(5, "stdout"));
        send(stream(7, "stderr"));
        server.close();
        assertTrue(cancelled);
    }

    @Test
    void unknownTokensGet404AndUnknownProtocols403() {
        String head = upgrade("nope", "v4.channel.k8s.io");
        assertTrue(head.startsWith("HTTP/1.1 404 Not Found"), head);
        assertTrue(head.endsWith("404 page not found\n"), head);

        EmbeddedChannel again = new EmbeddedChannel(new HttpServerCodec(), new HttpObjectAggregator(65536),
                new StreamingHttpHandler(cache, echo, Duration.ofSeconds(30), Runnable::run));
        again.writeInbound(Unpooled.copiedBuffer("POST /exec/" + token(false) + " HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                + "Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v9.channel.k8s.io\r\nContent-Length: 0\r\n\r\n", StandardCharsets.US_ASCII));
        StringBuilder out = new StringBuilder();
        ByteBuf b;
        while ((b = again.readOutbound()) != null) {
            out.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        assertTrue(out.toString().startsWith("HTTP/1.1 403 Forbidden"), out.toString());
        assertTrue(out.toString().contains("unable to upgrade: unable to negotiate protocol: client supports [v9.channel.k8s.io], server accepts "
                + "[v5.channel.k8s.io v4.channel.k8s.io v3.channel.k8s.io v2.channel.k8s.io channel.k8s.io]"), out.toString());
    }

    private static String text(List<Object> frames, int streamId) {
        StringBuilder s = new StringBuilder();
        for (Object f : frames) {
            if (f instanceof SpdyDataFrame d && d.streamId() == streamId) {
                s.append(d.content().toString(StandardCharsets.UTF_8));
            }
        }
        return s.toString();
    }
}
