package dev.skiff.kubelet.prober.probe;

import io.netty.channel.ConnectTimeoutException;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.util.Locale;

/** Java network errors in the words of Go's net package, which upstream's probe messages carry. */
final class GoErrors {
    private GoErrors() {
    }

    /** {@code dial tcp 10.0.0.5:81: connect: connection refused}, {@code … i/o timeout}, … */
    static String dial(String hostPort, Throwable t) {
        return "dial tcp " + hostPort + ": " + reason(t);
    }

    /** The part after "dial tcp host:port: ". */
    static String reason(Throwable t) {
        Throwable e = unwrap(t);
        if (e instanceof ConnectTimeoutException || e instanceof java.net.SocketTimeoutException) {
            return "i/o timeout";
        }
        if (e instanceof UnknownHostException u) {
            return "lookup " + u.getMessage() + ": no such host";
        }
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        String lower = msg.toLowerCase(Locale.ROOT);
        for (String known : new String[]{"connection refused", "no route to host", "network is unreachable",
                "connection reset by peer", "host is down"}) {
            if (lower.contains(known)) {
                return (e instanceof ConnectException || e instanceof NoRouteToHostException ? "connect: " : "read: ")
                        + known;
            }
        }
        return msg;
    }

    static Throwable unwrap(Throwable t) {
        Throwable e = t;
        while ((e instanceof java.util.concurrent.CompletionException
                || e instanceof java.util.concurrent.ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    /** Go's net.JoinHostPort: brackets around an IPv6 host. */
    static String joinHostPort(String host, int port) {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
