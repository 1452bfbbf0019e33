package dev.skiff.kubelet.dns;

import dev.skiff.kubelet.worker.ElasticPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * DNS over UDP and TCP on one address. One thread reads UDP and answers the cluster zone inline (an in-memory
 * lookup); forwarded questions complete on dnsjava's selector thread. One thread accepts TCP; a small pool (at
 * most {@link #MAX_TCP_CONNECTIONS} threads, none while idle) serves the connections, each closed after
 * {@link #TCP_IDLE} without a question; more connections than that are refused at once.
 */
public final class DnsServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DnsServer.class);
    static final int MAX_TCP_CONNECTIONS = 4;
    static final Duration TCP_IDLE = Duration.ofSeconds(10);
    /** A forwarded answer waited for on a TCP connection: past the forwarder's own retries. */
    static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(6);
    private static final int PLAIN_UDP_SIZE = 512;

    private final DnsAnswers answers;
    private final DatagramChannel udp;
    private final ServerSocketChannel tcp;
    private final ThreadPoolExecutor connections;
    private final Thread udpThread;
    private final Thread tcpThread;
    private volatile boolean closed;

    private DnsServer(DnsAnswers answers, DatagramChannel udp, ServerSocketChannel tcp) {
        this.answers = answers;
        this.udp = udp;
        this.tcp = tcp;
        this.connections = new ThreadPoolExecutor(0, MAX_TCP_CONNECTIONS, 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), ElasticPool.named("dns-tcp-"));
        this.udpThread = new Thread(this::serveUdp, "dns-udp");
        this.tcpThread = new Thread(this::acceptTcp, "dns-tcp-accept");
        udpThread.setDaemon(true);
        tcpThread.setDaemon(true);
    }

    /** Binds UDP and TCP on {@code address} (port 0: any free port, the same for both) and starts serving. */
    public static DnsServer start(InetSocketAddress address, DnsAnswers answers) throws IOException {
        DatagramChannel udp = DatagramChannel.open();
        ServerSocketChannel tcp = null;
        try {
            udp.bind(address);
            InetSocketAddress bound = (InetSocketAddress) udp.getLocalAddress();
            tcp = ServerSocketChannel.open();
            tcp.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            tcp.bind(bound, 64);
        } catch (IOException | RuntimeException e) {
            udp.close();
            if (tcp != null) {
                tcp.close();
            }
            throw e;
        }
        DnsServer s = new DnsServer(answers, udp, tcp);
        s.udpThread.start();
        s.tcpThread.start();
        return s;
    }

    /** The bound address (UDP and TCP). */
    public InetSocketAddress address() {
        try {
            return (InetSocketAddress) udp.getLocalAddress();
        } catch (IOException e) {
            throw new IllegalStateException("DNS server closed", e);
        }
    }

    private void serveUdp() {
        ByteBuffer in = ByteBuffer.allocate(65535);
        while (!closed) {
            SocketAddress client;
            Message query;
            try {
                in.clear();
                client = udp.receive(in);
                in.flip();
                byte[] wire = new byte[in.remaining()];
                in.get(wire);
                query = new Message(wire);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                log.debug("dropping a malformed DNS datagram: {}", e.toString());
                continue;
            }
            int max = udpLimit(query);
            answers.answer(query).whenComplete((reply, error) -> {
                if (reply == null) {
                    return;
                }
                try {
                    udp.send(ByteBuffer.wrap(reply.toWire(max)), client);
                } catch (IOException e) {
                    if (!closed) {
                        log.debug("cannot send a DNS answer to {}: {}", client, e.toString());
                    }
                }
            });
        }
    }

    /** 512 bytes, or what the client's EDNS OPT offers (up to ours); a longer answer is truncated (TC). */
    private static int udpLimit(Message query) {
        OPTRecord opt = query.getOPT();
        if (opt == null) {
            return PLAIN_UDP_SIZE;
        }
        return Math.max(PLAIN_UDP_SIZE, Math.min(opt.getPayloadSize(), DnsAnswers.MAX_UDP_PAYLOAD));
    }

    private void acceptTcp() {
        while (!closed) {
            SocketChannel c;
            try {
                c = tcp.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed) {
                    log.warn("DNS over TCP: accept failed: {}", e.toString());
                    sleepQuietly();
                }
                continue;
            }
            try {
                connections.execute(() -> serveConnection(c));
            } catch (RejectedExecutionException e) {
                log.debug("DNS over TCP: {} connections busy, refusing {}", MAX_TCP_CONNECTIONS, c);
                closeQuietly(c);
            }
        }
    }

    private void serveConnection(SocketChannel channel) {
        try (Socket s = channel.socket()) {
            s.setSoTimeout((int) TCP_IDLE.toMillis());
            DataInputStream in = new DataInputStream(s.getInputStream());
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            while (!closed) {
                int length;
                try {
                    length = in.readUnsignedShort();
                } catch (EOFException | SocketTimeoutException e) {
                    return; // the client is done, or idle too long
                }
                byte[] wire = in.readNBytes(length);
                if (wire.length < length) {
                    return;
                }
                Message reply = answers.answer(new Message(wire)).toCompletableFuture()
                        .get(ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                if (reply == null) {
                    return;
                }
                byte[] bytes = reply.toWire(65535);
                out.writeShort(bytes.length);
                out.write(bytes);
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            if (!closed) {
                log.debug("DNS over TCP connection ended: {}", e.toString());
            }
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // refused anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            udp.close();
        } catch (IOException e) {
            log.debug("closing DNS UDP: {}", e.toString());
        }
        try {
            tcp.close();
        } catch (IOException e) {
            log.debug("closing DNS TCP: {}", e.toString());
        }
        connections.shutdownNow();
        try {
            udpThread.join(2000);
            tcpThread.join(2000);
            connections.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
