package dev.skiff.streamclient;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The client side of a SPDY/3.1 session on an upgraded connection: creates streams (odd ids,
 * ascending), answers the server's PINGs, and dispatches inbound frames to streams on one named
 * reader thread that ends with the connection. Like spdystream it ignores SETTINGS and
 * WINDOW_UPDATE and sends neither: no flow control, exactly what kubectl and crictl do.
 */
final class SpdyConnection implements AutoCloseable {
    private static final AtomicInteger SEQ = new AtomicInteger();
    private final HttpUpgrade.Upgraded upgraded;
    private final SpdyFrameWriter writer;
    private final Duration timeout;
    private final Map<Integer, SpdyStream> streams = new ConcurrentHashMap<>();
    private final Object openLock = new Object();
    private final List<SpdyFrame> ignored = new ArrayList<>();
    private int nextId = 1;
    private volatile boolean closing;
    private volatile boolean ended;
    private volatile IOException failure;
    private volatile SpdyFrame.GoAway goAway;

    SpdyConnection(HttpUpgrade.Upgraded upgraded, URI url, Duration timeout) {
        this.upgraded = upgraded;
        this.writer = new SpdyFrameWriter(upgraded.out());
        this.timeout = timeout;
        SpdyFrameReader reader = new SpdyFrameReader(upgraded.in());
        Thread t = new Thread(() -> readLoop(reader), "stream-client-spdy-" + SEQ.incrementAndGet() + " " + url.getPath());
        t.setDaemon(true);
        t.start();
    }

    /** Sends SYN_STREAM with these headers (names lower case) and waits for the SYN_REPLY. */
    SpdyStream open(Map<String, String> headers) throws IOException {
        Map<String, List<String>> block = new LinkedHashMap<>();
        headers.forEach((k, v) -> block.put(k, List.of(v)));
        SpdyStream stream;
        synchronized (openLock) { // ids must reach the wire in ascending order
            if (goAway != null) {
                throw new IOException("the server sent GOAWAY: no new streams (" + headers + ")");
            }
            stream = new SpdyStream(this, nextId, "stream " + nextId + " " + headers, timeout);
            nextId += 2;
            streams.put(stream.id(), stream);
            send(new SpdyFrame.SynStream(stream.id(), 0, 0, false, false, block));
        }
        if (ended) { // the reader is gone: nobody else will end this stream
            stream.onConnectionEnd(failure);
        }
        stream.awaitReply(timeout);
        return stream;
    }

    void send(SpdyFrame frame) throws IOException {
        writer.write(frame);
    }

    /** Why the connection failed, or null while it is fine or ended cleanly. */
    IOException failure() {
        return failure;
    }

    /** SETTINGS and WINDOW_UPDATE frames the server sent (kept for tests; not acted on). */
    synchronized List<SpdyFrame> ignoredFrames() {
        return List.copyOf(ignored);
    }

    private void readLoop(SpdyFrameReader reader) {
        try {
            SpdyFrame frame;
            while ((frame = reader.read()) != null) {
                dispatch(frame);
            }
            endAll(null);
        } catch (IOException e) {
            if (closing) {
                endAll(null);
            } else {
                failure = e;
                endAll(e);
            }
        }
    }

    private void dispatch(SpdyFrame frame) throws IOException {
        if (frame instanceof SpdyFrame.Data d) {
            SpdyStream s = streams.get(d.streamId());
            if (s != null) { // data for a stream this side already reset is dropped
                s.onData(d.data(), d.fin());
            }
        } else if (frame instanceof SpdyFrame.SynReply r) {
            SpdyStream s = streams.get(r.streamId());
            if (s != null) {
                s.onReply(r.fin());
            }
        } else if (frame instanceof SpdyFrame.RstStream r) {
            SpdyStream s = streams.remove(r.streamId());
            if (s != null) {
                s.onReset(r.status());
            }
        } else if (frame instanceof SpdyFrame.Ping p) {
            if ((p.id() & 1) == 0) { // the server's pings have even ids: echo them
                send(p);
            }
        } else if (frame instanceof SpdyFrame.GoAway g) {
            goAway = g;
        } else if (frame instanceof SpdyFrame.SynStream s) {
            send(new SpdyFrame.RstStream(s.streamId(), SpdyFrame.REFUSED_STREAM)); // no server-pushed streams in these protocols
        } else {
            synchronized (this) {
                ignored.add(frame);
            }
        }
    }

    private void endAll(IOException e) {
        ended = true;
        for (SpdyStream s : streams.values()) {
            s.onConnectionEnd(e);
        }
    }

    /** GOAWAY (best effort), then the socket closes. */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        try {
            send(new SpdyFrame.GoAway(0, 0));
        } catch (IOException ignoredOnClose) {
            // the server may have closed already
        }
        try {
            upgraded.socket().close();
        } catch (IOException ignoredOnClose) {
            // nothing more to release
        }
    }
}
