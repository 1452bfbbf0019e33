package dev.skiff.kubelet.dns;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/** IP literals to addresses, never through a name lookup (a DNS server must not ask DNS about its own config). */
final class IpAddresses {
    private IpAddresses() {
    }

    /** {@code ip} (an IPv4 or IPv6 literal, an IPv6 zone dropped) as an address; empty when it is none. */
    static Optional<InetAddress> parse(String ip) {
        String host = ip.strip();
        int zone = host.indexOf('%');
        if (zone >= 0) {
            host = host.substring(0, zone);
        }
        if (host.isEmpty() || !host.matches("[0-9a-fA-F:.]+") || !(host.contains(".") || host.contains(":"))) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.getByName(host));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }
}
