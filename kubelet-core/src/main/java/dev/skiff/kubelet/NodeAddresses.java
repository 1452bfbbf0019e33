package dev.skiff.kubelet;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The node's IP when {@code --node-ip} is not given, as upstream's nodeutil: the host name's non-loopback
 * address if it resolves to one, else the address of the interface holding the default route.
 */
final class NodeAddresses {
    private NodeAddresses() {
    }

    static List<String> detect(List<String> flagIps, String hostname) {
        if (!flagIps.isEmpty()) {
            return flagIps;
        }
        try {
            for (InetAddress a : InetAddress.getAllByName(hostname)) {
                if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
                    return List.of(a.getHostAddress());
                }
            }
        } catch (UnknownHostException e) {
            // fall through to the default route
        }
        String iface = defaultRouteInterface(Path.of("/proc/net/route"));
        if (iface != null) {
            try {
                NetworkInterface ni = NetworkInterface.getByName(iface);
                if (ni != null) {
                    for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                        if (a instanceof Inet4Address) {
                            return List.of(a.getHostAddress());
                        }
                    }
                }
            } catch (IOException e) {
                // no address known: status.hostIP stays empty
            }
        }
        return List.of();
    }

    /** The interface of the IPv4 default route (destination 00000000), from /proc/net/route. */
    static String defaultRouteInterface(Path routes) {
        List<String> lines;
        try {
            lines = Files.readAllLines(routes);
        } catch (IOException e) {
            return null;
        }
        List<String[]> rows = new ArrayList<>();
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            rows.add(line.trim().split("\\s+"));
        }
        for (String[] f : rows) {
            if (f.length > 2 && f[1].equals("00000000")) {
                return f[0];
            }
        }
        return null;
    }
}
