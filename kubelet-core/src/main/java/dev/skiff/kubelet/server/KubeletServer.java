package dev.skiff.kubelet.server;

import dev.skiff.kubelet.server.auth.Authenticator;
import dev.skiff.kubelet.server.auth.NodeAuthorizer;
import dev.skiff.kubelet.server.auth.User;
import io.fabric8.kubernetes.api.model.Pod;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLPeerUnverifiedException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One of the kubelet's HTTP/1.1 servers on Netty: the secure port (TLS, authentication, authorization as upstream's
 * kubelet), the read-only port (plain HTTP, GET and HEAD of the default routes only) or the localhost healthz port.
 * Requests of a connection are answered one after the other (keep-alive; the next one is read once the answer is
 * out); handlers run on the shared {@link HttpThreads}. Order of refusals as upstream: 401, 403, then 404 (path
 * unknown, body {@code 404 page not found}) and 405 (method, with {@code Allow}); a non-clean path is redirected
 * (301) to its clean form as Go's ServeMux does.
 */
public final class KubeletServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KubeletServer.class);
    public static final int DEFAULT_READ_ONLY_PORT = 10255;
    public static final int DEFAULT_PORT = 10250;
    private static final int MAX_REQUEST_BYTES = 1 << 20;
    private static final int IDLE_SECONDS = 120;
    /** The handlers that make a connection HTTP, by name: an upgraded connection leaves them (see Response#upgrade). */
    private static final List<String> HTTP_HANDLERS = List.of("idle", "http", "aggregator", "connection");

    /** TLS and who may do what: the secure port's. */
    public record Security(SslContext tls, Authenticator authenticator, NodeAuthorizer authorizer) {}

    private final String name;
    private final Router router;
    private final Optional<Security> security;
    private final HttpThreads threads;
    private final boolean ownsThreads;
    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Object inFlightLock = new Object();
    private int inFlight;
    private Channel listener;
    private InetSocketAddress address;

    private KubeletServer(String name, List<Route> routes, Optional<Security> security, HttpThreads threads,
                          boolean ownsThreads) {
        this.name = name;
        this.router = new Router(routes);
        this.security = security;
        this.threads = threads;
        this.ownsThreads = ownsThreads;
    }

    /**
     * Binds {@code address} (port 0 picks a free port) and serves {@code routes} on {@code threads}.
     *
     * @param name     what the log calls it: "secure", "read-only", "healthz"
     * @param security TLS and access control (the secure port), empty for plain HTTP
     */
    public static KubeletServer start(String name, InetSocketAddress address, List<Route> routes,
                                      Optional<Security> security, HttpThreads threads) throws IOException {
        return bind(new KubeletServer(name, routes, security, threads, false), address);
    }

    private static KubeletServer bind(KubeletServer s, InetSocketAddress address) throws IOException {
        ServerBootstrap b = new ServerBootstrap().group(s.threads.loop).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true) // or a keep-alive client waits for delayed ACKs
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(64 * 1024, 256 * 1024))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        s.security.ifPresent(sec -> ch.pipeline().addLast(sec.tls().newHandler(ch.alloc())));
                        ch.pipeline().addLast(HTTP_HANDLERS.get(0), new IdleStateHandler(IDLE_SECONDS, 0, 0))
                                .addLast(HTTP_HANDLERS.get(1), new HttpServerCodec())
                                .addLast(HTTP_HANDLERS.get(2), new HttpObjectAggregator(MAX_REQUEST_BYTES))
                                .addLast(HTTP_HANDLERS.get(3), s.new Connection());
                    }
                });
        ChannelFuture bound = b.bind(address).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            Throwable t = bound.cause();
            throw new IOException(t == null ? "bind failed" : t.getMessage(), t);
        }
        s.listener = bound.channel();
        s.address = (InetSocketAddress) s.listener.localAddress();
        log.info("Kubelet {} server listening on {}{}", s.name, s.address, s.security.isPresent() ? " (TLS)" : "");
        return s;
    }

    /**
     * The read-only endpoints on their own threads (tests, and callers without a Kubelet):
     *
     * @param checks         health checks: each gives empty when healthy, else what is wrong ("pleg: last relist 4m ago")
     * @param pods           the pods with their statuses (e.g. {@code StatusManager::pods})
     * @param manifestErrors the unusable manifest files (e.g. {@code () -> ManifestError.from(fileSource.errors())})
     */
    public static KubeletServer start(InetSocketAddress address, List<Supplier<Optional<String>>> checks,
                                      Supplier<List<Pod>> pods, Supplier<List<ManifestError>> manifestErrors)
            throws IOException {
        return serve(address, checks, pods, manifestErrors, Map.of());
    }

    /** {@link #start(InetSocketAddress, List, Supplier, Supplier)} with more JSON lists by path (no parameters). */
    public static KubeletServer start(InetSocketAddress address, List<Supplier<Optional<String>>> checks,
                                      Supplier<List<Pod>> pods, Supplier<List<ManifestError>> manifestErrors,
                                      Map<String, Supplier<?>> lists) throws IOException {
        Map<String, Endpoint> endpoints = new LinkedHashMap<>();
        lists.forEach((path, supplier) -> endpoints.put(path, Endpoint.of(supplier)));
        return serve(address, checks, pods, manifestErrors, endpoints);
    }

    /** {@link #start(InetSocketAddress, List, Supplier, Supplier)} with more JSON endpoints that take query parameters. */
    public static KubeletServer serve(InetSocketAddress address, List<Supplier<Optional<String>>> checks,
                                      Supplier<List<Pod>> pods, Supplier<List<ManifestError>> manifestErrors,
                                      Map<String, Endpoint> lists) throws IOException {
        List<Route> routes = new ArrayList<>(DefaultRoutes.readOnly(new Healthz(checks), pods, manifestErrors));
        lists.forEach((path, e) -> routes.add(Route.json(path, Route.Kind.DEFAULT, e)));
        HttpThreads own = new HttpThreads();
        try {
            return bind(new KubeletServer("read-only", routes, Optional.empty(), own, true), address);
        } catch (IOException | RuntimeException e) {
            own.close();
            throw e;
        }
    }

    /**
     * Takes a connection out of HTTP (on its event loop): the idle timer, codec, aggregator and request handler go,
     * and bytes the codec still held are passed on to what comes after; TLS stays.
     */
    static void leaveHttp(ChannelPipeline pipeline) {
        for (String name : HTTP_HANDLERS) {
            if (pipeline.get(name) != null) {
                pipeline.remove(name);
            }
        }
    }

    /** The bound address (with the real port when 0 was asked). */
    public InetSocketAddress address() {
        return address;
    }

    /** The first value of each query parameter, decoded. */
    static Map<String, String> query(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        queryValues(raw).forEach((k, v) -> out.put(k, v.get(0)));
        return out;
    }

    /** Every value of each query parameter in order, decoded ({@code command=sh&command=-c} is two). */
    static Map<String, List<String>> queryValues(String raw) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
        return out;
    }

    /**
     * One connection: hands each request to a handler thread and takes the next once the answer is out. It keeps
     * reading meanwhile, so a client that goes away is seen at once (a follow stream ends); pipelined requests wait
     * in a short line.
     */
    private final class Connection extends SimpleChannelInboundHandler<FullHttpRequest> {
        private static final int MAX_PIPELINED = 16;
        private final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>();
        private Writability writability;
        private boolean busy;

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            connections.add(ctx.channel());
            writability = new Writability(ctx.channel());
            super.channelActive(ctx);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            if (busy) {
                if (waiting.size() >= MAX_PIPELINED) {
                    ctx.close();
                    return;
                }
                waiting.add(req.retain());
                return;
            }
            serve(ctx, req);
        }

        private void serve(ChannelHandlerContext ctx, FullHttpRequest req) {
            Channel ch = ctx.channel();
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            Response res = new Response(ch, writability, req.protocolVersion(), req.method().name().equals("HEAD"),
                    keepAlive, keep -> done(ctx, keep));
            busy = true;
            if (!req.decoderResult().isSuccess()) {
                res.text(400, "400 Bad Request\n");
                return;
            }
            Exchange ex = new Exchange(req.method().name(), req.uri(), req.headers().copy(), peerChain(ctx), ch, res);
            synchronized (inFlightLock) {
                inFlight++;
            }
            try {
                threads.handlers.execute(ex);
            } catch (RejectedExecutionException e) {
                finished();
                res.text(503, "server shutting down\n");
            }
        }

        /** On the event loop, once a response is out: the next request, or the end of the connection. */
        private void done(ChannelHandlerContext ctx, boolean keepAlive) {
            if (!ctx.executor().inEventLoop()) {
                ctx.executor().execute(() -> done(ctx, keepAlive));
                return;
            }
            busy = false;
            if (!keepAlive || !ctx.channel().isActive()) {
                ctx.close();
                return;
            }
            FullHttpRequest next = waiting.poll();
            if (next != null) {
                try {
                    serve(ctx, next);
                } finally {
                    next.release();
                }
            }
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            FullHttpRequest r;
            while ((r = waiting.poll()) != null) {
                r.release();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
            writability.signal();
            super.channelWritabilityChanged(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            writability.signal();
            super.channelInactive(ctx);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent && !busy) {
                ctx.close(); // an idle keep-alive connection
                return;
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("{} server: connection from {}: {}", name, ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    private static X509Certificate[] peerChain(ChannelHandlerContext ctx) {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        if (ssl == null) {
            return new X509Certificate[0];
        }
        try {
            Certificate[] certs = ssl.engine().getSession().getPeerCertificates();
            List<X509Certificate> out = new ArrayList<>();
            for (Certificate c : certs) {
                if (c instanceof X509Certificate x) {
                    out.add(x);
                }
            }
            return out.toArray(new X509Certificate[0]);
        } catch (SSLPeerUnverifiedException e) {
            return new X509Certificate[0];
        }
    }

    private void finished() {
        synchronized (inFlightLock) {
            inFlight--;
            inFlightLock.notifyAll();
        }
    }

    /** One request on a handler thread: authenticate, authorize, route, answer. */
    private final class Exchange implements Runnable {
        private final String method;
        private final String uri;
        private final HttpHeaders headers;
        private final X509Certificate[] peerChain;
        private final Channel channel;
        private final Response res;

        Exchange(String method, String uri, HttpHeaders headers, X509Certificate[] peerChain, Channel channel, Response res) {
            this.method = method;
            this.uri = uri;
            this.headers = headers;
            this.peerChain = peerChain;
            this.channel = channel;
            this.res = res;
        }

        @Override
        public void run() {
            try {
                answer();
            } catch (Endpoint.BadRequestException e) {
                refuse(400, e.getMessage() + "\n");
            } catch (Endpoint.NotFoundException e) {
                refuse(404, e.getMessage() + "\n");
            } catch (IOException e) {
                if (res.started()) {
                    // the client went away (or stopped reading) while the answer was written
                    log.debug("{} server: {} {}: {}", name, method, uri, e.toString());
                } else {
                    log.warn("HTTP {} {} failed: {}", method, uri, e.toString());
                }
                refuse(500, "internal error: " + e.getMessage() + "\n");
            } catch (Exception | LinkageError e) {
                log.warn("HTTP {} {} failed: {}", method, uri, e.toString());
                refuse(500, "internal error: " + e.getMessage() + "\n");
            } finally {
                finished();
            }
        }

        private void refuse(int status, String body) {
            if (res.started()) {
                res.abort();
            } else {
                res.text(status, body);
            }
        }

        private void answer() throws Exception {
            int q = uri.indexOf('?');
            String rawPath = q < 0 ? uri : uri.substring(0, q);
            String path;
            try {
                path = Route.decode(rawPath);
            } catch (IllegalArgumentException e) {
                res.text(400, "400 Bad Request: malformed path escape\n");
                return;
            }
            Optional<User> user = Optional.empty();
            if (security.isPresent()) {
                Authenticator.Result r = security.get().authenticator().authenticate(peerChain,
                        headers.get(HttpHeaderNames.AUTHORIZATION));
                if (r instanceof Authenticator.Result.Refused refused) {
                    log.debug("secure server: {} {} from {}: 401 ({})", method, path, channel.remoteAddress(), refused.reason());
                    res.text(401, "Unauthorized");
                    return;
                }
                User u = ((Authenticator.Result.Authenticated) r).user();
                Optional<String> forbidden = security.get().authorizer().forbidden(u, method, path);
                if (forbidden.isPresent()) {
                    log.debug("secure server: {}", forbidden.get().strip());
                    res.text(403, forbidden.get());
                    return;
                }
                user = Optional.of(u);
            }
            String clean = Router.clean(path);
            if (!clean.equals(path)) {
                res.header("Location", clean + (q < 0 ? "" : uri.substring(q)));
                res.text(301, "<a href=\"" + clean + "\">Moved Permanently</a>.\n");
                return;
            }
            Optional<Router.Match> match = router.find(rawPath);
            if (match.isEmpty()) {
                res.text(404, "404 page not found\n");
                return;
            }
            Route route = match.get().route();
            if (!route.allows(method)) {
                res.header("Allow", route.allowHeader());
                res.text(405, "405 method not allowed\n");
                return;
            }
            Map<String, List<String>> query;
            try {
                query = queryValues(q < 0 ? null : uri.substring(q + 1));
            } catch (IllegalArgumentException e) {
                throw new Endpoint.BadRequestException("malformed query: " + e.getMessage());
            }
            Request request = new Request(method, path, query, match.get().params(), headers::get, user, channel::isActive,
                    headers.entries());
            route.handler().handle(request, res);
            if (!res.finish()) {
                throw new IllegalStateException("the handler of " + route.pattern() + " sent no response");
            }
        }
    }

    /**
     * Stops listening, lets requests in flight finish for up to {@code timeout}, then closes the connections (ending
     * streams that still run) and, when it owns them, its threads.
     */
    public boolean close(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        if (listener != null) {
            listener.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        boolean drained = true;
        try {
            synchronized (inFlightLock) {
                while (inFlight > 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        drained = false;
                        break;
                    }
                    TimeUnit.NANOSECONDS.timedWait(inFlightLock, left);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            drained = false;
        }
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        boolean done = true;
        if (ownsThreads) {
            done = threads.close(Duration.ofNanos(Math.max(TimeUnit.MILLISECONDS.toNanos(100), deadline - System.nanoTime())));
        }
        log.info("Kubelet {} server on {} stopped", name, address);
        return drained && done;
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(1));
    }
}
