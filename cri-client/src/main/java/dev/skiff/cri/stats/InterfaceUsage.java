package dev.skiff.cri.stats;

import java.util.ArrayList;
import java.util.List;

/** Cumulative counters of one network interface, from {@code /proc/<pid>/net/dev}. */
public record InterfaceUsage(String name, long rxBytes, long rxPackets, long rxErrors, long rxDropped,
                             long txBytes, long txPackets, long txErrors, long txDropped) {

    /**
     * Parses {@code net/dev}: two header lines, then {@code "  eth0: rxBytes rxPackets rxErrs rxDrop fifo frame
     * compressed multicast txBytes txPackets txErrs txDrop ..."}. The loopback is left out, as cAdvisor does.
     */
    public static List<InterfaceUsage> parseNetDev(String text) {
        List<InterfaceUsage> out = new ArrayList<>();
        String[] f = new String[12];
        for (int from = 0, to; from < text.length(); from = to + 1) {
            to = CgroupFiles.lineEnd(text, from);
            int colon = text.indexOf(':', from);
            if (colon < 0 || colon >= to) {
                continue;
            }
            String name = text.substring(from, colon).trim();
            if (name.equals("lo") || CgroupFiles.fields(text, colon + 1, to, f) < 12) {
                continue;
            }
            long[] v = new long[12];
            boolean ok = true;
            for (int i = 0; i < 12; i++) {
                var parsed = CgroupFiles.parseUnsigned(f[i]);
                ok &= parsed.isPresent();
                v[i] = parsed.orElse(0L);
            }
            if (ok) {
                out.add(new InterfaceUsage(name, v[0], v[1], v[2], v[3], v[8], v[9], v[10], v[11]));
            }
        }
        return out;
    }
}
