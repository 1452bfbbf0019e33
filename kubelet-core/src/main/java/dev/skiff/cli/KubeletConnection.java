package dev.skiff.cli;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodList;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;

/**
 * The kubelet's secure port as the streaming commands use it: its base URL, the bearer token, and TLS for both the
 * JDK's HTTP client ({@code /pods}) and Netty (the upgraded streams).
 */
final class KubeletConnection {
    private final URI base;
    private final String token;
    private final SslContext netty;
    private final boolean insecure;
    private final ReadOnlyClient http;

    private KubeletConnection(URI base, String token, SslContext netty, SSLContext jdk, boolean insecure) {
        this.base = base;
        this.token = token;
        this.netty = netty;
        this.insecure = insecure;
        this.http = ReadOnlyClient.secure(base, jdk, token);
    }

    /** @param trusted the PEM certificates to trust; null trusts any (--insecure-skip-tls-verify) */
    static KubeletConnection of(String server, Path tokenFile, Path trusted) throws IOException {
        URI base;
        try {
            base = URI.create(server.replaceAll("/+$", ""));
        } catch (IllegalArgumentException e) {
            throw new IOException("bad --server '" + server + "': " + e.getMessage());
        }
        if (!"https".equals(base.getScheme()) || base.getHost() == null) {
            throw new IOException("bad --server '" + server + "': want https://HOST:PORT (the kubelet's secure port)");
        }
        String token = readToken(tokenFile);
        try {
            TrustManagerFactory tmf = trusted == null ? InsecureTrustManagerFactory.INSTANCE : trust(trusted);
            SSLContext jdk = SSLContext.getInstance("TLS");
            jdk.init(null, tmf.getTrustManagers(), null);
            SslContext netty = SslContextBuilder.forClient().trustManager(tmf).build();
            return new KubeletConnection(base, token, netty, jdk, trusted == null);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    private static String readToken(Path file) throws IOException {
        try {
            String token = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (token.isEmpty() || token.contains("\n")) {
                throw new IOException("token file " + file + " must hold one token on one line");
            }
            return token;
        } catch (NoSuchFileException e) {
            throw new IOException("no token file " + file + " (the kubelet writes admin.token in its --cert-dir on "
                    + "start; pass --cert-dir or --token-file)");
        } catch (AccessDeniedException e) {
            throw new IOException("cannot read token file " + file + ": permission denied (run as root, or pass --token-file)");
        }
    }

    private static TrustManagerFactory trust(Path pem) throws IOException, GeneralSecurityException {
        Collection<? extends Certificate> certs;
        try (InputStream in = Files.newInputStream(pem)) {
            certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (NoSuchFileException e) {
            throw new IOException("no certificate file " + pem + " (pass --cert-dir, --certificate-authority or "
                    + "--insecure-skip-tls-verify)");
        } catch (java.security.cert.CertificateException e) {
            throw new IOException("certificate file " + pem + " holds no PEM certificate: " + e.getMessage());
        }
        if (certs.isEmpty()) {
            throw new IOException("certificate file " + pem + " holds no PEM certificate");
        }
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        int i = 0;
        for (Certificate c : certs) {
            ks.setCertificateEntry("ca-" + i++, c);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        return tmf;
    }

    URI base() {
        return base;
    }

    String host() {
        return base.getHost();
    }

    int port() {
        return base.getPort() < 0 ? 443 : base.getPort();
    }

    String token() {
        return token;
    }

    /** The pod {@code name} in {@code namespace} (a static pod also by its name without the node suffix). */
    Pod pod(String namespace, String name) throws IOException, InterruptedException {
        return PodLookup.find(http.get("/pods", PodList.class, "pods"), namespace, name)
                .orElseThrow(() -> new IOException("pods \"" + name + "\" not found in namespace \"" + namespace + "\""));
    }

    /**
     * Connects on {@code group} with an HTTP client codec ("http"), an aggregator ("aggregator") and {@code upgrade}
     * ("upgrade"), and waits until the upgrade is done; the connection, or why not.
     */
    Channel upgrade(EventLoopGroup group, UpgradeHandler upgrade) throws IOException, InterruptedException {
        ChannelFuture connected = dial(group, new io.netty.channel.ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast("http", new HttpClientCodec()).addLast("aggregator", new HttpObjectAggregator(64 * 1024))
                        .addLast("upgrade", upgrade);
            }
        });
        if (!connected.await(ReadOnlyClient.CONNECT_TIMEOUT.toMillis() + 1000) || !connected.isSuccess()) {
            connected.channel().close();
            throw new IOException("cannot reach the kubelet at " + base + ": "
                    + (connected.cause() == null ? "timed out" : connected.cause().getMessage()));
        }
        if (!upgrade.done.await(ReadOnlyClient.READ_TIMEOUT.toMillis() * 3)) {
            connected.channel().close();
            throw new IOException("the kubelet at " + base + " did not answer the upgrade in time");
        }
        if (!upgrade.done.isSuccess()) {
            Throwable t = upgrade.done.cause();
            throw t instanceof IOException io ? io : new IOException(t.getMessage(), t);
        }
        return connected.channel();
    }

    /** Connects to the secure port on {@code group}: TLS (checking the host name) first, then {@code handler}. */
    private ChannelFuture dial(EventLoopGroup group, ChannelHandler handler) {
        return new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) ReadOnlyClient.CONNECT_TIMEOUT.toMillis())
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new io.netty.channel.ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        SslHandler tls = netty.newHandler(ch.alloc(), host(), port());
                        SSLEngine engine = tls.engine();
                        SSLParameters p = engine.getSSLParameters();
                        if (!insecure) {
                            p.setEndpointIdentificationAlgorithm("HTTPS");
                        }
                        engine.setSSLParameters(p);
                        ch.pipeline().addLast("tls", tls).addLast(handler);
                    }
                })
                .connect(host(), port());
    }
}
