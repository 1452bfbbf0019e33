package dev.skiff.cri.docker.netns;

import com.sun.jna.LastErrorException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.nio.channels.SocketChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * TCP connections to a port on the loopback of another network namespace, the way upstream's runtimes forward a
 * pod's port: 127.0.0.1 first, then ::1 when that fails (containerd dials tcp4 localhost, then tcp6; dockershim ran
 * {@code socat - TCP4:localhost:PORT} in the pod's namespace).
 *
 * <p>A socket belongs to the namespace it was created in, and setns(2) moves only the calling thread. So one named
 * thread ({@value #THREAD_NAME}) enters the target namespace, creates the socket and goes straight back to Skiff's
 * own namespace; the connect then runs on the caller's thread. If that thread ever fails to go back, it ends and
 * every later dial fails (fail closed): no socket is ever made in a pod's namespace by accident. The thread ends
 * after a minute without dials and is started again by the next one.
 */
public final class NetnsDialer implements AutoCloseable {
    public static final String THREAD_NAME = "netns-dialer";
    private static final Logger log = LoggerFactory.getLogger(NetnsDialer.class);
    private static final long IDLE_SECONDS = 60;
    private static final List<Loopback> LOOPBACKS = List.of(
            new Loopback("127.0.0.1", StandardProtocolFamily.INET),
            new Loopback("::1", StandardProtocolFamily.INET6));

    private record Loopback(String address, ProtocolFamily family) {}

    private final NetnsSyscalls sys;
    /** Skiff's own network namespace, where the dialer thread returns after each socket. */
    private final int homeFd;
    private final ThreadPoolExecutor thread;
    /** Set once the thread could not return home: why no dial into a namespace is made any more. */
    private volatile String broken;
    private final AtomicBoolean closed = new AtomicBoolean();

    public NetnsDialer() throws IOException {
        this(loadSyscalls());
    }

    NetnsDialer(NetnsSyscalls sys) throws IOException {
        this.sys = sys;
        try {
            // the constructing thread's namespace; only the dialer thread ever leaves it
            this.homeFd = sys.open("/proc/thread-self/ns/net", NetnsSyscalls.O_RDONLY | NetnsSyscalls.O_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw new IOException("cannot open Skiff's own network namespace /proc/thread-self/ns/net: " + e.getMessage(), e);
        }
        this.thread = new ThreadPoolExecutor(1, 1, IDLE_SECONDS, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, THREAD_NAME);
            t.setDaemon(true);
            return t;
        });
        thread.allowCoreThreadTimeOut(true);
    }

    private static NetnsSyscalls loadSyscalls() throws IOException {
        try {
            return NetnsSyscalls.libc();
        } catch (LinkageError e) {
            throw new IOException("cannot bind libc's setns through JNA: " + e, e);
        }
    }

    /**
     * A connected, blocking channel to {@code port} on the loopback of {@code netns}, within {@code timeout} (the
     * wait for the dialer thread included). ConnectException naming the port and the namespace when nothing accepts
     * on either loopback address; SocketTimeoutException when the time runs out; NoSuchFileException when the
     * namespace is gone (its process exited).
     */
    public SocketChannel connect(Netns netns, int port, Duration timeout) throws IOException {
        if (port < 1 || port > 65535) {
            throw new IOException("invalid port " + port + " for " + netns.name() + ": a port is 1 to 65535");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> failures = new ArrayList<>(LOOPBACKS.size());
        boolean refused = false;
        for (Loopback loopback : LOOPBACKS) {
            SocketChannel channel;
            try {
                channel = open(netns, loopback.family(), port, deadline, timeout);
            } catch (SocketException | UnsupportedOperationException e) {
                // no socket of that family here (IPv6 disabled): try the next address
                failures.add(loopback.address() + ": " + e.getMessage());
                continue;
            }
            try {
                connect(channel, new InetSocketAddress(loopback.address(), port), deadline);
                return channel;
            } catch (SocketException e) {
                // refused, or no such loopback address in that namespace (::1 where IPv6 is off): try the next one
                closeQuietly(channel);
                refused |= e instanceof ConnectException;
                failures.add(loopback.address() + ": " + e.getMessage());
            } catch (SocketTimeoutException e) {
                closeQuietly(channel);
                throw timedOut(netns, port, timeout);
            } catch (IOException | RuntimeException e) {
                closeQuietly(channel);
                throw e;
            }
        }
        throw new ConnectException((refused ? "connection refused to port " : "cannot connect to port ") + port
                + " in " + netns.name() + " (" + String.join("; ", failures) + ")");
    }

    private static void connect(SocketChannel channel, InetSocketAddress address, long deadline) throws IOException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException();
        }
        // the socket adaptor's connect is the channel's blocking connect with a timeout; 0 would mean none
        channel.socket().connect(address, (int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(left))));
    }

    /** An unconnected channel of {@code family} created inside {@code netns}. */
    private SocketChannel open(Netns netns, ProtocolFamily family, int port, long deadline, Duration timeout) throws IOException {
        if (netns.path().isEmpty()) {
            return SocketChannel.open(family);
        }
        Path path = netns.path().get();
        String why = broken;
        if (why != null) {
            throw new IOException("cannot dial into " + netns.name() + ": " + why);
        }
        CompletableFuture<SocketChannel> result = new CompletableFuture<>();
        try {
            thread.execute(() -> openInside(path, netns.name(), family, result));
        } catch (RejectedExecutionException e) {
            throw new IOException("cannot dial into " + netns.name() + ": " + (broken != null ? broken : "the dialer is closed"));
        }
        try {
            return result.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            abandon(result);
            throw timedOut(netns, port, timeout);
        } catch (InterruptedException e) {
            abandon(result);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while dialing port " + port + " in " + netns.name());
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof UnsupportedOperationException u) {
                throw u;
            }
            throw new IOException("cannot dial into " + netns.name() + ": " + cause, cause);
        }
    }

    /** The caller stopped waiting: a socket made after all is closed, by whichever side sees it last. */
    private static void abandon(CompletableFuture<SocketChannel> result) {
        result.cancel(false);
        result.thenAccept(NetnsDialer::closeQuietly);
    }

    /** Runs on the dialer thread: enter, create the socket, return home. */
    private void openInside(Path path, String name, ProtocolFamily family, CompletableFuture<SocketChannel> result) {
        if (result.isDone()) {
            return; // the caller gave up waiting
        }
        String why = broken;
        if (why != null) {
            result.completeExceptionally(new IOException("cannot dial into " + name + ": " + why));
            return;
        }
        try {
            int fd;
            try {
                fd = sys.open(path.toString(), NetnsSyscalls.O_RDONLY | NetnsSyscalls.O_CLOEXEC, 0);
            } catch (LastErrorException e) {
                int errno = e.getErrorCode();
                result.completeExceptionally(errno == NetnsSyscalls.ENOENT || errno == NetnsSyscalls.ESRCH
                        ? new NoSuchFileException(path.toString(), null, "the network namespace of " + name + " is gone (its process exited)")
                        : new IOException("cannot open the network namespace " + path + " of " + name + ": " + e.getMessage(), e));
                return;
            }
            try {
                createInside(fd, path, name, family, result);
            } finally {
                closeFd(fd);
            }
        } catch (RuntimeException | Error t) {
            result.completeExceptionally(t);
            throw t;
        }
    }

    private void createInside(int fd, Path path, String name, ProtocolFamily family, CompletableFuture<SocketChannel> result) {
        try {
            sys.setns(fd, NetnsSyscalls.CLONE_NEWNET);
        } catch (LastErrorException e) {
            result.completeExceptionally(new IOException("cannot enter the network namespace " + path + " of " + name + ": " + e.getMessage(), e));
            return;
        } catch (RuntimeException e) {
            returnHome(name); // whether it moved is unknown
            throw e;
        }
        SocketChannel channel = null;
        Exception failure = null;
        try {
            channel = SocketChannel.open(family);
        } catch (IOException | RuntimeException e) {
            failure = e;
        }
        if (!returnHome(name)) {
            closeQuietly(channel);
            result.completeExceptionally(new IOException("cannot dial into " + name + ": " + broken));
        } else if (failure != null) {
            result.completeExceptionally(failure);
        } else if (!result.complete(channel)) {
            closeQuietly(channel); // the caller gave up meanwhile
        }
    }

    private boolean returnHome(String name) {
        try {
            sys.setns(homeFd, NetnsSyscalls.CLONE_NEWNET);
            return true;
        } catch (RuntimeException e) { // LastErrorException with errno, or anything JNA throws
            broken = "the " + THREAD_NAME + " thread could not return to Skiff's own network namespace after entering that of "
                    + name + " (" + e.getMessage() + "), so it dials no more";
            log.error(broken);
            thread.shutdown(); // queued dials fail on `broken`; then this thread ends and is never replaced
            return false;
        }
    }

    private static SocketTimeoutException timedOut(Netns netns, int port, Duration timeout) {
        return new SocketTimeoutException("no connection to port " + port + " in " + netns.name() + " within " + timeout.toMillis() + " ms");
    }

    private void closeFd(int fd) {
        try {
            sys.close(fd);
        } catch (LastErrorException e) {
            log.debug("close of namespace fd {}: {}", fd, e.getMessage());
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        if (channel == null) {
            return;
        }
        try {
            channel.close();
        } catch (IOException e) {
            // nothing was sent on it
        }
    }

    /** Stops the dialer thread; the home namespace fd is closed once it has ended. Closing again does nothing. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return; // the fd number may belong to another file by now
        }
        thread.shutdown();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("{} thread still busy after 10 s; its namespace fd stays open", THREAD_NAME);
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        closeFd(homeFd);
    }
}
