package dev.skiff.kubelet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class NodeAddressesTest {
    private static final String HEADER =
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

    @TempDir
    Path tmp;

    private Path routes(String body) throws IOException {
        Path p = tmp.resolve("route");
        Files.writeString(p, HEADER + body);
        return p;
    }

    @Test
    void defaultRouteInterfaceIsTheOneWithDestinationZero() throws IOException {
        Path p = routes("""
                docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
                eth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
                eth0\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
                """);
        assertEquals("eth0", NodeAddresses.defaultRouteInterface(p));
    }

    @Test
    void firstDefaultRouteWins() throws IOException {
        Path p = routes("""
                wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
                eth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
                """);
        assertEquals("wlan0", NodeAddresses.defaultRouteInterface(p));
    }

    @Test
    void theHeaderIsNeverARoute() throws IOException {
        Path p = tmp.resolve("route");
        Files.writeString(p, "Iface 00000000 Gateway\n");
        assertNull(NodeAddresses.defaultRouteInterface(p));
    }

    @Test
    void noDefaultRouteOrNoFileGivesNull() throws IOException {
        assertNull(NodeAddresses.defaultRouteInterface(routes("eth0\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n")));
        assertNull(NodeAddresses.defaultRouteInterface(routes("")));
        assertNull(NodeAddresses.defaultRouteInterface(tmp.resolve("absent")));
    }

    @Test
    void flagIpsAreReturnedAsGiven() {
        assertEquals(List.of("192.0.2.7"), NodeAddresses.detect(List.of("192.0.2.7"), "no-such-host.invalid"));
        assertEquals(List.of("192.0.2.7", "2001:db8::7"),
                NodeAddresses.detect(List.of("192.0.2.7", "2001:db8::7"), "localhost"));
    }
}
