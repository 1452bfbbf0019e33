package dev.skiff.kubelet.dns;

import dev.skiff.kubelet.kuberuntime.ResolvConf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * Skiff's embedded cluster DNS (the role CoreDNS plays in a cluster): where it listens and what pods are told.
 * It listens on the first {@code --cluster-dns} address when that is an address of this host, or, when
 * {@code --cluster-dns} is not set, on the gateway of the Docker bridge the pods' sandboxes use (what every pod
 * reaches). A {@code --cluster-dns} of another host is someone else's DNS server: Skiff then serves none and only
 * tells the pods.
 */
public final class ClusterDns implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterDns.class);
    /** The bridge Docker gives pod sandboxes ({@code NetworkMode=bridge}). */
    static final String DOCKER_BRIDGE = "docker0";

    private final List<String> nameservers;
    private final DnsServer server;

    private ClusterDns(List<String> nameservers, DnsServer server) {
        this.nameservers = List.copyOf(nameservers);
        this.server = server;
    }

    /**
     * Starts the server as the settings ask.
     *
     * @param clusterDns  {@code --cluster-dns} as given; empty = the Docker bridge's gateway
     * @param embedded    whether Skiff may serve DNS itself ({@code --embedded-dns})
     * @param hostResolv  the host's resolv.conf whose nameservers get the questions outside the cluster zone
     * @param indexer     the records the server answers from
     */
    public static ClusterDns start(List<String> clusterDns, boolean embedded, Path hostResolv, DnsIndexer indexer) {
        if (!embedded) {
            log.info("cluster DNS: not served by Skiff (--embedded-dns=false, or --cluster-domain \"\"); pods are "
                    + "told {}",
                    clusterDns.isEmpty() ? "nothing (ClusterFirst falls back to Default)" : clusterDns);
            return new ClusterDns(clusterDns, null);
        }
        boolean defaulted = clusterDns.isEmpty();
        Optional<InetAddress> listen = defaulted ? bridgeGateway() : IpAddresses.parse(clusterDns.get(0)).filter(ClusterDns::isLocal);
        if (listen.isEmpty()) {
            if (defaulted) {
                log.info("cluster DNS: no {} bridge on this host and no --cluster-dns: not served; ClusterFirst pods"
                        + " fall back to Default", DOCKER_BRIDGE);
            } else {
                log.info("cluster DNS: {} is not an address of this host: Skiff serves no DNS and pods are told {}",
                        clusterDns.get(0), clusterDns);
            }
            return new ClusterDns(clusterDns, null);
        }
        InetSocketAddress address = new InetSocketAddress(listen.get(), 53);
        List<String> upstream = List.of();
        try {
            upstream = hostResolv == null ? List.of() : ResolvConf.read(hostResolv).nameservers();
        } catch (IOException e) {
            log.warn("cluster DNS: cannot read {} ({}): names outside the cluster domain get SERVFAIL", hostResolv,
                    e.toString());
        }
        Forwarder forwarder = Forwarder.fromResolvConf(upstream, List.of(address));
        try {
            DnsServer server = DnsServer.start(address, new DnsAnswers(indexer.index(), forwarder));
            log.info("cluster DNS: serving {} on {} (UDP and TCP), forwarding other names to {}",
                    indexer.index().get().zone(), server.address(), forwarder.upstreams());
            return new ClusterDns(defaulted ? List.of(listen.get().getHostAddress()) : clusterDns, server);
        } catch (IOException | RuntimeException e) {
            if (defaulted) {
                log.warn("cluster DNS: cannot listen on {} ({}): not served; ClusterFirst pods fall back to Default",
                        address, e.toString());
                return new ClusterDns(List.of(), null);
            }
            log.warn("cluster DNS: cannot listen on {} ({}): pods are still told {}", address, e.toString(),
                    clusterDns);
            return new ClusterDns(clusterDns, null);
        }
    }

    /** What pods with dnsPolicy ClusterFirst get as nameservers (empty: they fall back to Default). */
    public List<String> nameservers() {
        return nameservers;
    }

    /** The server's address, when Skiff serves DNS. */
    public Optional<InetSocketAddress> serving() {
        return server == null ? Optional.empty() : Optional.of(server.address());
    }

    /** The first IPv4 address of the Docker bridge, the gateway of its containers. */
    public static Optional<InetAddress> bridgeGateway() {
        try {
            NetworkInterface nic = NetworkInterface.getByName(DOCKER_BRIDGE);
            if (nic == null) {
                return Optional.empty();
            }
            return Collections.list(nic.getInetAddresses()).stream().filter(a -> a instanceof Inet4Address)
                    .findFirst();
        } catch (SocketException e) {
            return Optional.empty();
        }
    }

    private static boolean isLocal(InetAddress a) {
        try {
            return NetworkInterface.getByInetAddress(a) != null;
        } catch (SocketException e) {
            return false;
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
    }
}
