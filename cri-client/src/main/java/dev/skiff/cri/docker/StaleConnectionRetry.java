package dev.skiff.cri.docker;

import com.github.dockerjava.transport.DockerHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * Sends a request again on another connection when the pooled one it got was dead: after dockerd restarts, every
 * idle keep-alive connection in docker-java's pool points at the old, gone daemon (docker-java turns off the pool's
 * validation of idle connections), and each would fail one call with "Broken pipe". Writing to a Unix socket whose
 * peer has closed fails before the daemon reads anything, so any request whose body can be sent again is retried;
 * a reset or a missing response is retried only for GET and HEAD, which change nothing. The failed connection leaves
 * the pool, so at most one retry per pooled connection is ever needed; a daemon that is really down fails the next
 * connect at once, and that error is returned.
 */
final class StaleConnectionRetry implements DockerHttpClient {
    private static final Logger log = LoggerFactory.getLogger(StaleConnectionRetry.class);

    private final DockerHttpClient delegate;
    private final int maxRetries;

    /** @param maxRetries at least the pool's size: one stale connection can fail each attempt */
    StaleConnectionRetry(DockerHttpClient delegate, int maxRetries) {
        this.delegate = delegate;
        this.maxRetries = maxRetries;
    }

    @Override
    public Response execute(Request request) {
        int stale = 0;
        while (true) {
            try {
                Response r = delegate.execute(request);
                if (stale > 0) {
                    log.info("Docker API: {} {} succeeded after dropping {} dead connection(s) (dockerd restarted?)",
                            request.method(), pathOnly(request), stale);
                }
                return r;
            } catch (RuntimeException e) {
                if (stale >= maxRetries || !repeatable(request) || !deadConnection(e, request.method())) {
                    throw e;
                }
                stale++;
                log.debug("Docker API: {} {} met a dead connection ({}), retrying", request.method(), pathOnly(request),
                        e.getCause());
            }
        }
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }

    /** A body given as bytes can be sent again; a stream or a hijacked (attach) input cannot. */
    static boolean repeatable(Request r) {
        return r.hijackedInput() == null && (r.bodyBytes() != null || r.body() == null);
    }

    /** The failure of a connection whose peer is gone, before the request can have been acted on. */
    static boolean deadConnection(Throwable e, String method) {
        boolean readOnly = "GET".equals(method) || "HEAD".equals(method);
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (!(t instanceof IOException)) {
                continue;
            }
            String m = t.getMessage() == null ? "" : t.getMessage();
            if (m.contains("Broken pipe")) {
                return true;
            }
            if (readOnly && (m.contains("Connection reset") || t.getClass().getSimpleName().equals("NoHttpResponseException"))) {
                return true;
            }
        }
        return false;
    }

    private static String pathOnly(Request r) {
        String p = r.path();
        int q = p.indexOf('?');
        return q < 0 ? p : p.substring(0, q);
    }
}
