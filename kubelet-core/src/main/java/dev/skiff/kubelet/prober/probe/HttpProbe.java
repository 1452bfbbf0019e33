package dev.skiff.kubelet.prober.probe;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;

import javax.net.ssl.SSLException;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The httpGet handler (upstream pkg/probe/http): a GET with {@code User-Agent: kube-probe/<major.minor>} and
 * {@code Accept: *}{@code /*} unless the probe sets them, {@code Connection: close}, HTTPS without certificate
 * checks. 200–399 passes (a 3xx that was not followed is a warning), anything else fails with
 * {@code HTTP probe failed with statuscode: N}. Redirects to the same host are followed (the 10th stops the
 * probe), a redirect to another host is not followed and counts as a warning, as upstream's RedirectChecker.
 * The timeout covers the whole exchange, redirects included.
 */
public final class HttpProbe {
    /** Upstream keeps at most this much of a response body. */
    static final int MAX_BODY_BYTES = ProbeOutcome.MAX_OUTPUT_BYTES;
    static final int MAX_REDIRECTS = 10;
    /** Go's error when an HTTPS request gets a plain HTTP answer (upstream's lifecycle hooks retry over HTTP then). */
    public static final String SERVER_GAVE_HTTP = "http: server gave HTTP response to HTTPS client";
    private static final Set<Integer> FOLLOWED = Set.of(301, 302, 303, 307, 308);

    /** One header of the probe's httpHeaders. */
    public record Header(String name, String value) {
    }

    private record Response(int status, String location, String body) {
    }

    private final ProbeNetwork net;
    private final String userAgent;
    private volatile SslContext insecureTls;

    /** @param userAgent e.g. {@code kube-probe/1.32} */
    public HttpProbe(ProbeNetwork net, String userAgent) {
        this.net = net;
        this.userAgent = userAgent;
    }

    /** Made on the first HTTPS probe: a kubelet without one never loads the TLS stack. */
    private SslContext insecureTls() {
        SslContext tls = insecureTls;
        if (tls == null) {
            synchronized (this) {
                if (insecureTls == null) {
                    try {
                        // probes check liveness, not identity: upstream sets InsecureSkipVerify
                        insecureTls = SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE)
                                .build();
                    } catch (SSLException e) {
                        throw new ProbeException("cannot set up TLS for HTTPS probes: " + e.getMessage(), e);
                    }
                }
                tls = insecureTls;
            }
        }
        return tls;
    }

    /** Upstream formatURL: the path (with any query) on scheme://host:port. */
    public static URI url(String scheme, String host, int port, String path) {
        String p = path == null || path.isEmpty() ? "/" : path.startsWith("/") ? path : "/" + path;
        String base = scheme.toLowerCase(Locale.ROOT) + "://" + GoErrors.joinHostPort(host, port);
        try {
            return new URI(base + p);
        } catch (URISyntaxException e) {
            // a path that is no valid URI is still sent, escaped, as upstream passes it along
            try {
                int q = p.indexOf('?');
                return new URI(scheme.toLowerCase(Locale.ROOT), null, host, port, q < 0 ? p : p.substring(0, q),
                        q < 0 ? null : p.substring(q + 1), null);
            } catch (URISyntaxException e2) {
                throw new ProbeException("invalid probe path " + p + ": " + e2.getMessage(), e2);
            }
        }
    }

    public CompletableFuture<ProbeOutcome> probe(URI url, List<Header> headers, Duration timeout) {
        return get(url, headers, timeout, HttpProbe::outcome);
    }

    /**
     * A lifecycle hook's GET (upstream runHTTPHandler): the same request, redirects and timeout as a probe's, but any
     * response passes, as upstream checks only that one came; a failure's output is Go's {@code Get "url": …}.
     */
    public CompletableFuture<ProbeOutcome> hook(URI url, List<Header> headers, Duration timeout) {
        return get(url, headers, timeout, r -> ProbeOutcome.success(r.body()));
    }

    private CompletableFuture<ProbeOutcome> get(URI url, List<Header> headers, Duration timeout,
                                                java.util.function.Function<Response, ProbeOutcome> verdict) {
        long deadline = System.nanoTime() + timeout.toNanos();
        CompletableFuture<ProbeOutcome> out = new CompletableFuture<>();
        follow(url, url, null, headers, 1, deadline, verdict, out);
        return out;
    }

    /** Sends request number {@code n} (1 for the first) to {@code current}. */
    private void follow(URI first, URI current, URI referer, List<Header> headers, int n, long deadline,
                        java.util.function.Function<Response, ProbeOutcome> verdict, CompletableFuture<ProbeOutcome> out) {
        exchange(current, referer, headers, deadline).whenComplete((r, error) -> {
            if (error != null) {
                out.complete(ProbeOutcome.failure("Get \"" + current + "\": " + message(error, current)));
                return;
            }
            if (FOLLOWED.contains(r.status()) && r.location() != null) {
                URI next;
                try {
                    next = current.resolve(r.location());
                } catch (IllegalArgumentException e) {
                    out.complete(ProbeOutcome.failure("Get \"" + current + "\": failed to parse Location header \""
                            + r.location() + "\": " + e.getMessage()));
                    return;
                }
                if (sameHost(first, next)) {
                    if (n >= MAX_REDIRECTS) {
                        out.complete(ProbeOutcome.failure("Get \"" + r.location() + "\": stopped after "
                                + MAX_REDIRECTS + " redirects"));
                        return;
                    }
                    follow(first, next, current, headers, n + 1, deadline, verdict, out);
                    return;
                }
                // another host: upstream's ErrUseLastResponse, the redirect itself is the answer
            }
            out.complete(verdict.apply(r));
        });
    }

    /** Upstream DoHTTPProbe's verdict on a response. */
    private static ProbeOutcome outcome(Response r) {
        if (r.status() >= 200 && r.status() < 400) {
            if (r.status() >= 300) {
                return ProbeOutcome.warning("Probe terminated redirects, Response body: " + r.body());
            }
            return ProbeOutcome.success(r.body());
        }
        return ProbeOutcome.failure("HTTP probe failed with statuscode: " + r.status());
    }

    private static boolean sameHost(URI a, URI b) {
        return a.getHost() != null && a.getHost().equals(b.getHost());
    }

    private CompletableFuture<Response> exchange(URI url, URI referer, List<Header> headers, long deadline) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            return CompletableFuture.failedFuture(new ProbeTimeout(false));
        }
        boolean https = "https".equalsIgnoreCase(url.getScheme());
        String host = url.getHost() == null ? "" : url.getHost().replaceAll("^\\[|]$", "");
        int port = url.getPort() > 0 ? url.getPort() : https ? 443 : 80;
        ResponseReader reader = new ResponseReader();
        SslContext tls = https ? insecureTls() : null;
        return net.resolve(host, port).thenCompose(address -> net.connect(address, Duration.ofNanos(left),
                new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (https) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc(), host, port));
                        }
                        ch.pipeline().addLast(new HttpClientCodec(), reader);
                    }
                })).thenCompose(ch -> {
                    var timer = ch.eventLoop().schedule(() -> {
                        reader.result.completeExceptionally(new ProbeTimeout(reader.headersSeen));
                        ch.close();
                    }, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    ch.writeAndFlush(request(url, referer, headers)).addListener(f -> {
                        if (!f.isSuccess()) {
                            reader.result.completeExceptionally(f.cause());
                        }
                    });
                    return reader.result.whenComplete((r, e) -> {
                        timer.cancel(false);
                        ch.close();
                    });
                });
    }

    private FullHttpRequest request(URI url, URI referer, List<Header> headers) {
        String target = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        if (url.getRawQuery() != null) {
            target += "?" + url.getRawQuery();
        }
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, target);
        var h = req.headers();
        h.set(HttpHeaderNames.HOST, url.getRawAuthority());
        boolean userAgentSet = false;
        boolean acceptSet = false;
        for (Header header : headers) {
            if (header.name().equalsIgnoreCase("Host")) {
                h.set(HttpHeaderNames.HOST, header.value()); // upstream: req.Host from the Host header
                continue;
            }
            userAgentSet |= header.name().equalsIgnoreCase("User-Agent");
            acceptSet |= header.name().equalsIgnoreCase("Accept");
            h.add(header.name(), header.value());
        }
        if (!userAgentSet) {
            h.set(HttpHeaderNames.USER_AGENT, userAgent);
        }
        if (!acceptSet) {
            h.set(HttpHeaderNames.ACCEPT, "*/*");
        }
        if (referer != null && !("https".equalsIgnoreCase(referer.getScheme()) && "http".equalsIgnoreCase(url.getScheme()))) {
            h.set(HttpHeaderNames.REFERER, referer.toString());
        }
        h.set(HttpHeaderNames.CONNECTION, "close"); // upstream: DisableKeepAlives
        return req;
    }

    /** Go's wording for what went wrong, after {@code Get "url": }. */
    private static String message(Throwable t, URI url) {
        Throwable e = GoErrors.unwrap(t);
        if (e instanceof ProbeTimeout pt) {
            return pt.getMessage();
        }
        if (e instanceof java.net.ConnectException || e instanceof io.netty.channel.ConnectTimeoutException
                || e instanceof java.net.UnknownHostException || e instanceof java.net.NoRouteToHostException) {
            if (e instanceof io.netty.channel.ConnectTimeoutException) {
                return new ProbeTimeout(false).getMessage();
            }
            boolean https = "https".equalsIgnoreCase(url.getScheme());
            int port = url.getPort() > 0 ? url.getPort() : https ? 443 : 80;
            return GoErrors.dial(GoErrors.joinHostPort(url.getHost().replaceAll("^\\[|]$", ""), port), e);
        }
        if (e instanceof ClosedChannelException || e instanceof PrematureEof) {
            return "EOF";
        }
        if (e instanceof io.netty.handler.ssl.NotSslRecordException
                || e.getCause() instanceof io.netty.handler.ssl.NotSslRecordException) {
            return SERVER_GAVE_HTTP; // Go's words for an HTTPS request answered in plain HTTP
        }
        String m = e.getMessage();
        if (e.getCause() != null && e instanceof io.netty.handler.codec.DecoderException) {
            m = e.getCause().getMessage();
        }
        return m == null ? e.getClass().getSimpleName() : m;
    }

    /** Reads one response: status, Location, and up to 10 KiB of the body. */
    private static final class ResponseReader extends SimpleChannelInboundHandler<HttpObject> {
        final CompletableFuture<Response> result = new CompletableFuture<>();
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private volatile boolean headersSeen;
        private int status;
        private String location;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (result.isDone()) {
                return;
            }
            if (msg.decoderResult().isFailure()) {
                result.completeExceptionally(msg.decoderResult().cause());
                return;
            }
            if (msg instanceof HttpResponse r) {
                if (r.status().code() / 100 == 1) {
                    return; // 1xx: the real response follows
                }
                headersSeen = true;
                status = r.status().code();
                location = r.headers().get(HttpHeaderNames.LOCATION);
            }
            if (msg instanceof HttpContent c && headersSeen) {
                ByteBuf buf = c.content();
                int take = Math.min(buf.readableBytes(), MAX_BODY_BYTES - body.size());
                if (take > 0) {
                    byte[] bytes = new byte[take];
                    buf.getBytes(buf.readerIndex(), bytes);
                    body.write(bytes, 0, take);
                }
                if (msg instanceof LastHttpContent || body.size() >= MAX_BODY_BYTES) {
                    finish();
                }
            }
        }

        private void finish() {
            result.complete(new Response(status, location, body.toString(StandardCharsets.UTF_8)));
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            // a body delimited by the connection's end is complete when it closes
            if (headersSeen) {
                finish();
            } else {
                result.completeExceptionally(new PrematureEof());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            result.completeExceptionally(cause);
            ctx.close();
        }
    }

    /** The connection closed before a response came. */
    private static final class PrematureEof extends RuntimeException {
        PrematureEof() {
            super("EOF", null, false, false);
        }
    }

    /** The probe's timeout passed; Go's client says where it was. */
    private static final class ProbeTimeout extends RuntimeException {
        ProbeTimeout(boolean readingBody) {
            super(readingBody ? "context deadline exceeded (Client.Timeout or context cancellation while reading body)"
                    : "context deadline exceeded (Client.Timeout exceeded while awaiting headers)", null, false, false);
        }
    }
}
