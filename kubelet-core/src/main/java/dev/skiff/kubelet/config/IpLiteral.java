package dev.skiff.kubelet.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/** IP address literals, checked without any name lookup. */
public final class IpLiteral {
    private static final Pattern V4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern V6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");

    private IpLiteral() {}

    static boolean isIPv4(String s) {
        var m = V4.matcher(s);
        if (!m.matches()) {
            return false;
        }
        for (int i = 1; i <= 4; i++) {
            if (Integer.parseInt(m.group(i)) > 255) {
                return false;
            }
        }
        return true;
    }

    static boolean isIPv6(String s) {
        // Only hex digits, ':' and '.' (no zone, no brackets), and at least one ':': InetAddress then parses it
        // as a literal and never resolves a name.
        if (s.indexOf(':') < 0 || !V6_CHARS.matcher(s).matches()) {
            return false;
        }
        try {
            InetAddress.getByName(s); // an IPv4-mapped literal comes back as Inet4Address: still IPv6 syntax
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    public static boolean isIP(String s) {
        return isIPv4(s) || isIPv6(s);
    }
}
