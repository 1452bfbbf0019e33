package dev.skiff.cri.streaming;

import dev.skiff.cri.v1.AttachRequest;
import dev.skiff.cri.v1.ExecRequest;
import dev.skiff.cri.v1.PortForwardRequest;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdyVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * The streaming server's one HTTP request per connection: {@code /exec/TOKEN},
 * {@code /attach/TOKEN} or {@code /portforward/TOKEN} (GET or POST), the token consumed at
 * once (unknown, used or expired: 404 as upstream's http.NotFound), then the upgrade to
 * SPDY/3.1 or WebSocket and the pipeline handed to the session's handler.
 */
final class StreamingHttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(StreamingHttpHandler.class);
    static final String PROTOCOL_HEADER = "X-Stream-Protocol-Version";
    static final String ACCEPTED_PROTOCOLS_HEADER = "X-Accepted-Stream-Protocol-Versions";
    static final String SPDY_31 = "SPDY/3.1";
    static final String PORT_FORWARD_PROTOCOL = "portforward.k8s.io";
    private static final int MAX_WEBSOCKET_FRAME = 1 << 20;

    private final RequestCache cache;
    private final StreamingRuntime runtime;
    private final Duration creationTimeout;
    private final Executor dialExecutor;

    StreamingHttpHandler(RequestCache cache, StreamingRuntime runtime, Duration creationTimeout, Executor dialExecutor) {
        this.cache = cache;
        this.runtime = runtime;
        this.creationTimeout = creationTimeout;
        this.dialExecutor = dialExecutor;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        String path = new QueryStringDecoder(req.uri()).path();
        String[] parts = path.split("/", -1);
        if (parts.length != 3 || !parts[0].isEmpty() || !List.of("exec", "attach", "portforward").contains(parts[1])) {
            respond(ctx, HttpResponseStatus.NOT_FOUND, "404 page not found\n");
            return;
        }
        if (!req.method().equals(HttpMethod.GET) && !req.method().equals(HttpMethod.POST)) {
            respond(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "405: Method Not Allowed");
            return;
        }
        Optional<Object> cached = cache.consume(parts[2]);
        String kind = parts[1];
        Object request = cached.orElse(null);
        boolean matches = switch (kind) {
            case "exec" -> request instanceof ExecRequest;
            case "attach" -> request instanceof AttachRequest;
            default -> request instanceof PortForwardRequest;
        };
        if (!matches) {
            log.info("{} {}: unknown, used or expired token", req.method(), "/" + kind + "/…");
            respond(ctx, HttpResponseStatus.NOT_FOUND, "404 page not found\n");
            return;
        }
        if (isWebSocket(req)) {
            if (request instanceof PortForwardRequest pf) {
                webSocketPortForward(ctx, req, pf);
            } else {
                webSocket(ctx, req, request);
            }
            return;
        }
        spdy(ctx, req, request);
    }

    static boolean isWebSocket(FullHttpRequest req) {
        return headerContains(req, HttpHeaderNames.CONNECTION.toString(), "upgrade")
                && headerContains(req, HttpHeaderNames.UPGRADE.toString(), "websocket");
    }

    private static boolean headerContains(FullHttpRequest req, String name, String token) {
        for (String v : req.headers().getAll(name)) {
            if (v.toLowerCase(Locale.ROOT).contains(token)) {
                return true;
            }
        }
        return false;
    }

    private void spdy(ChannelHandlerContext ctx, FullHttpRequest req, Object request) {
        if (!headerContains(req, HttpHeaderNames.CONNECTION.toString(), "upgrade")
                || !headerContains(req, HttpHeaderNames.UPGRADE.toString(), SPDY_31.toLowerCase(Locale.ROOT))) {
            respond(ctx, HttpResponseStatus.BAD_REQUEST,
                    "unable to upgrade: missing upgrade headers in request (need Connection: Upgrade and Upgrade: SPDY/3.1 or websocket)\n");
            return;
        }
        boolean portForward = request instanceof PortForwardRequest;
        List<String> server = portForward ? List.of(PORT_FORWARD_PROTOCOL) : RemoteCommandProtocol.spdyIds();
        List<String> client = clientProtocols(req);
        String chosen;
        if (client.isEmpty()) {
            // Kubernetes 1.0 clients did not negotiate: upstream then speaks the first version
            chosen = portForward ? PORT_FORWARD_PROTOCOL : RemoteCommandProtocol.V1.id;
        } else {
            Optional<String> negotiated = RemoteCommandProtocol.negotiate(client, server);
            if (negotiated.isEmpty()) {
                FullHttpResponse res = response(HttpResponseStatus.FORBIDDEN, String.format(
                        "unable to upgrade: unable to negotiate protocol: client supports %s, server accepts %s\n", goList(client), goList(server)));
                server.forEach(p -> res.headers().add(ACCEPTED_PROTOCOLS_HEADER, p));
                ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            chosen = negotiated.get();
        }
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
        res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        res.headers().set(HttpHeaderNames.UPGRADE, SPDY_31);
        if (!client.isEmpty()) {
            res.headers().set(PROTOCOL_HEADER, chosen);
        }
        ctx.writeAndFlush(res);
        ChannelPipeline p = ctx.pipeline();
        p.addLast("spdy-codec", new SpdyFrameCodec(SpdyVersion.SPDY_3_1));
        if (portForward) {
            p.addLast("spdy-portforward", new SpdyPortForwardHandler(((PortForwardRequest) request).getPodSandboxId(), runtime.ports(), dialExecutor, creationTimeout));
        } else {
            RemoteCommandProtocol protocol = RemoteCommandProtocol.of(chosen).orElseThrow();
            p.addLast("spdy-remotecommand", new SpdyRemoteCommandHandler(request, protocol, runtime, creationTimeout));
        }
        p.remove(StreamingServer.AGGREGATOR);
        p.remove(this);
        // last: bytes the client sent right after its request are handed on to the SPDY codec
        p.remove(StreamingServer.HTTP_CODEC);
    }

    /** Upstream's V4Options: the CRI request's ports, else the URL's {@code port} parameters. */
    private void webSocketPortForward(ChannelHandlerContext ctx, FullHttpRequest req, PortForwardRequest pf) {
        List<Integer> ports = new ArrayList<>(pf.getPortList());
        if (ports.isEmpty()) {
            for (String v : new QueryStringDecoder(req.uri()).parameters().getOrDefault("port", List.of())) {
                for (String p : v.split(",")) {
                    try {
                        ports.add(Integer.parseInt(p.trim()));
                    } catch (NumberFormatException e) {
                        respond(ctx, HttpResponseStatus.BAD_REQUEST, "unable to parse \"" + p.trim() + "\" as a port\n");
                        return;
                    }
                }
            }
        }
        for (int port : ports) {
            if (port < 1 || port > 65535) {
                respond(ctx, HttpResponseStatus.BAD_REQUEST, "port " + port + " must be > 0 and < 65536\n");
                return;
            }
        }
        if (ports.isEmpty()) {
            respond(ctx, HttpResponseStatus.BAD_REQUEST, "at least one port must be given for port-forward over WebSocket\n");
            return;
        }
        List<String> offered = offeredSubprotocols(req);
        List<String> server = List.of(WebSocketPortForwardHandler.V4_BINARY, WebSocketPortForwardHandler.V4_BASE64);
        Optional<String> chosen = offered.isEmpty() ? Optional.empty() : RemoteCommandProtocol.negotiate(offered, server);
        if (!offered.isEmpty() && chosen.isEmpty()) {
            respond(ctx, HttpResponseStatus.BAD_REQUEST, String.format(
                    "requested protocol(s) are not supported: %s; supports %s\n", goList(offered), goList(server)));
            return;
        }
        boolean base64 = chosen.map(WebSocketPortForwardHandler.V4_BASE64::equals).orElse(false);
        if (handshake(ctx, req, chosen.orElse(null))) {
            ctx.pipeline().addLast("ws-portforward", new WebSocketPortForwardHandler(pf.getPodSandboxId(), ports, base64, runtime.ports(), dialExecutor));
            ctx.pipeline().remove(this);
        }
    }

    /** Answers the WebSocket upgrade (Netty swaps the HTTP codecs for WebSocket ones); false when refused. */
    private boolean handshake(ChannelHandlerContext ctx, FullHttpRequest req, String subprotocol) {
        String url = "ws://" + req.headers().get(HttpHeaderNames.HOST, "localhost") + req.uri();
        WebSocketServerHandshaker handshaker = new WebSocketServerHandshakerFactory(url, subprotocol, false, MAX_WEBSOCKET_FRAME)
                .newHandshaker(req);
        if (handshaker == null) {
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
            return false;
        }
        handshaker.handshake(ctx.channel(), req).addListener(f -> {
            if (!f.isSuccess()) {
                log.warn("WebSocket handshake with {} failed: {}", ctx.channel().remoteAddress(), f.cause().toString());
                ctx.close();
            }
        });
        ctx.pipeline().addLast("ws-aggregator", new WebSocketFrameAggregator(MAX_WEBSOCKET_FRAME));
        return true;
    }

    private static List<String> offeredSubprotocols(FullHttpRequest req) {
        return req.headers().getAll(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL).stream()
                .flatMap(v -> List.of(v.split(",")).stream()).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private void webSocket(ChannelHandlerContext ctx, FullHttpRequest req, Object request) {
        List<String> offered = offeredSubprotocols(req);
        List<String> server = RemoteCommandProtocol.webSocketIds();
        RemoteCommandProtocol protocol;
        if (offered.isEmpty()) {
            protocol = RemoteCommandProtocol.V1;
        } else {
            Optional<String> chosen = RemoteCommandProtocol.negotiate(offered, server);
            if (chosen.isEmpty()) {
                respond(ctx, HttpResponseStatus.BAD_REQUEST, String.format(
                        "requested protocol(s) are not supported: %s; supports %s\n", goList(offered), goList(server)));
                return;
            }
            protocol = RemoteCommandProtocol.of(chosen.get()).orElseThrow();
        }
        if (handshake(ctx, req, offered.isEmpty() ? null : protocol.id)) {
            ctx.pipeline().addLast("ws-remotecommand", new WebSocketRemoteCommandHandler(request, protocol, runtime));
            ctx.pipeline().remove(this);
        }
    }

    private static List<String> clientProtocols(FullHttpRequest req) {
        List<String> out = new ArrayList<>();
        for (String v : req.headers().getAll(PROTOCOL_HEADER)) {
            for (String p : v.split(",")) {
                if (!p.isBlank()) {
                    out.add(p.trim());
                }
            }
        }
        return out;
    }

    /** Go's %v of a []string, as upstream's messages show lists. */
    private static String goList(List<String> items) {
        return "[" + String.join(" ", items) + "]";
    }

    private static FullHttpResponse response(HttpResponseStatus status, String body) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        res.headers().set("X-Content-Type-Options", "nosniff");
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
        res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return res;
    }

    private static void respond(ChannelHandlerContext ctx, HttpResponseStatus status, String body) {
        ctx.writeAndFlush(response(status, body)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.warn("streaming request from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
