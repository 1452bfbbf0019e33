package dev.skiff.cri.docker.netns;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/** The dialer's address choice and its errors, in this process's own namespace (no privilege, no Docker). */
class NetnsDialerTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private NetnsDialer dialer;

    @BeforeEach
    void setUp() throws IOException {
        dialer = new NetnsDialer();
    }

    @AfterEach
    void tearDown() {
        dialer.close();
    }

    @Test
    void connectsToIpv4LoopbackFirst() throws Exception {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            try (SocketChannel ch = dialer.connect(Netns.own("test"), server.getLocalPort(), TIMEOUT);
                 Socket accepted = server.accept()) {
                assertEquals("/127.0.0.1", ((InetSocketAddress) ch.getRemoteAddress()).getAddress().toString());
                assertTrue(ch.isBlocking());
                assertEquals(ch.getLocalAddress(), accepted.getRemoteSocketAddress());
            }
        }
    }

    @Test
    void fallsBackToIpv6LoopbackWhenNothingListensOnIpv4() throws Exception {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress("::1", 0));
            try (SocketChannel ch = dialer.connect(Netns.own("test"), server.getLocalPort(), TIMEOUT);
                 Socket accepted = server.accept()) {
                assertTrue(((InetSocketAddress) ch.getRemoteAddress()).getAddress().isLoopbackAddress());
                assertEquals(16, ((InetSocketAddress) ch.getRemoteAddress()).getAddress().getAddress().length, "an IPv6 connection");
            }
        }
    }

    @Test
    void refusedOnBothLoopbacksNamesPortNamespaceAndBothFailures() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        int closed = port;
        ConnectException e = assertThrows(ConnectException.class, () -> dialer.connect(Netns.own("pod sandbox abc (ns/web)"), closed, TIMEOUT));
        assertTrue(e.getMessage().startsWith("connection refused to port " + closed + " in pod sandbox abc (ns/web) (127.0.0.1: "),
                e.getMessage());
        assertTrue(e.getMessage().contains("; ::1: "), e.getMessage());
    }

    @Test
    void invalidPortsAreRefusedBeforeAnyDial() {
        for (int port : new int[]{0, -1, 65536}) {
            IOException e = assertThrows(IOException.class, () -> dialer.connect(Netns.own("pod sandbox abc (ns/web)"), port, TIMEOUT));
            assertEquals("invalid port " + port + " for pod sandbox abc (ns/web): a port is 1 to 65535", e.getMessage());
        }
    }

    @Test
    void aNamespaceWhoseProcessExitedIsGone() {
        Path gone = Path.of("/proc/999999999/ns/net");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> dialer.connect(Netns.at(gone, "pod sandbox abc (ns/web)"), 80, TIMEOUT));
        assertEquals(gone.toString(), e.getFile());
        assertEquals("the network namespace of pod sandbox abc (ns/web) is gone (its process exited)", e.getReason());
    }

    @Test
    void aFileThatIsNoNetworkNamespaceIsNotEntered() {
        Netns uts = Netns.at(Path.of("/proc/self/ns/uts"), "pod sandbox abc (ns/web)");
        for (int attempt = 0; attempt < 2; attempt++) { // the refusal leaves the dialer as it was, not broken
            IOException e = assertThrows(IOException.class, () -> dialer.connect(uts, 80, TIMEOUT));
            assertTrue(e.getMessage().startsWith("cannot enter the network namespace /proc/self/ns/uts of pod sandbox abc (ns/web): "),
                    e.getMessage());
        }
    }

    @Test
    void aClosedDialerRefusesDials() {
        dialer.close();
        IOException e = assertThrows(IOException.class,
                () -> dialer.connect(Netns.at(Path.of("/proc/self/ns/net"), "pod sandbox abc (ns/web)"), 80, TIMEOUT));
        assertEquals("cannot dial into pod sandbox abc (ns/web): the dialer is closed", e.getMessage());
    }
}
