package dev.skiff.kubelet.it;

import javax.net.ssl.SSLContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A plain-HTTP front for the kubelet's secure port on loopback, for the shared stream client (which speaks plain HTTP
 * only, as a CRI streaming server wants): each connection's request head gets {@code Authorization: Bearer TOKEN}
 * added and goes to the kubelet over TLS; after that, bytes are copied both ways untouched. Test plumbing: a thread
 * per connection direction is fine here.
 */
final class TokenFront implements AutoCloseable {
    private final ServerSocket listener;
    private final SSLContext tls;
    private final int kubeletPort;
    private final String token;

    TokenFront(SSLContext tls, int kubeletPort, String token) throws IOException {
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.tls = tls;
        this.kubeletPort = kubeletPort;
        this.token = token;
        Thread accept = new Thread(this::accept, "token-front-accept");
        accept.setDaemon(true);
        accept.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Thread t = new Thread(() -> relay(client), "token-front-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void relay(Socket client) {
        try (client; Socket kubelet = tls.getSocketFactory().createSocket("127.0.0.1", kubeletPort)) {
            InputStream in = client.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    return;
                }
                head.write(b);
            }
            String h = head.toString(StandardCharsets.ISO_8859_1);
            h = h.substring(0, h.length() - 2) + "Authorization: Bearer " + token + "\r\n\r\n";
            OutputStream up = kubelet.getOutputStream();
            up.write(h.getBytes(StandardCharsets.ISO_8859_1));
            up.flush();
            Thread down = new Thread(() -> copy(kubelet, client), "token-front-down");
            down.setDaemon(true);
            down.start();
            copy(client, kubelet);
            down.join(60_000);
        } catch (IOException | InterruptedException e) {
            // the connection ended
        }
    }

    /** Copies until EOF, then half-closes the writing side (SSL sockets cannot: they close). */
    private static void copy(Socket from, Socket to) {
        try {
            from.getInputStream().transferTo(to.getOutputStream());
            if (to instanceof javax.net.ssl.SSLSocket) {
                return; // keep reading the kubelet's answer; it closes when the session ends
            }
            to.shutdownOutput();
        } catch (IOException e) {
            try {
                to.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
