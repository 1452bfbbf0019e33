package dev.skiff.kubelet.dns;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Sends the questions outside the cluster zone to the host's resolvers (CoreDNS's {@code forward .
 * /etc/resolv.conf}), never to the cluster DNS itself: a loop would only time out. dnsjava's resolvers are
 * asynchronous (one shared selector thread), so no thread waits on an upstream answer.
 */
public final class Forwarder {
    private static final Logger log = LoggerFactory.getLogger(Forwarder.class);
    /** Per upstream attempt; with one retry and a few upstreams a client (5 s by default) still gets an answer. */
    static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final List<InetSocketAddress> upstreams;
    private final Resolver resolver;

    /**
     * @param nameservers the host's nameservers (resolv.conf order)
     * @param self        the cluster DNS address(es), left out of {@code nameservers}
     */
    public static Forwarder fromResolvConf(List<String> nameservers, List<InetSocketAddress> self) {
        return new Forwarder(port53(nameservers), self);
    }

    /** Upstreams with their ports (tests run them on free ports). */
    static Forwarder to(List<InetSocketAddress> nameservers, List<InetSocketAddress> self) {
        return new Forwarder(nameservers, self);
    }

    private Forwarder(List<InetSocketAddress> nameservers, List<InetSocketAddress> self) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (InetSocketAddress a : nameservers) {
            if (self.stream().anyMatch(s -> s.getAddress().equals(a.getAddress()) && s.getPort() == a.getPort())) {
                log.warn("resolv.conf nameserver {} is the cluster DNS itself: not forwarding to it", a);
            } else {
                out.add(a);
            }
        }
        this.upstreams = List.copyOf(out);
        if (upstreams.isEmpty()) {
            this.resolver = null;
        } else {
            List<Resolver> each = new ArrayList<>();
            for (InetSocketAddress a : upstreams) {
                SimpleResolver r = new SimpleResolver(a);
                r.setTimeout(TIMEOUT);
                each.add(r);
            }
            ExtendedResolver r = new ExtendedResolver(each);
            r.setTimeout(TIMEOUT);
            r.setRetries(1);
            r.setLoadBalance(false);
            this.resolver = r;
        }
    }

    public List<InetSocketAddress> upstreams() {
        return upstreams;
    }

    /** The upstream answer to {@code query} with the query's id; SERVFAIL when no upstream answers. */
    public CompletionStage<Message> forward(Message query) {
        if (resolver == null) {
            return CompletableFuture.completedFuture(DnsAnswers.error(query, Rcode.SERVFAIL));
        }
        int id = query.getHeader().getID();
        return resolver.sendAsync(query).handle((response, error) -> {
            if (error != null || response == null) {
                log.debug("forwarding {} failed: {}", query.getQuestion(), String.valueOf(error));
                return DnsAnswers.error(query, Rcode.SERVFAIL);
            }
            response.getHeader().setID(id);
            return response;
        });
    }

    private static List<InetSocketAddress> port53(List<String> nameservers) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (String ns : nameservers) {
            IpAddresses.parse(ns).ifPresentOrElse(ip -> out.add(new InetSocketAddress(ip, 53)),
                    () -> log.warn("resolv.conf nameserver {} is not an IP address: not forwarding to it", ns));
        }
        return out;
    }
}
