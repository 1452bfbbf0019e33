package dev.skiff.streamclient;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

/**
 * Exec/attach over WebSocket with the binary channel protocols: every message starts with its
 * channel (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize). v5 adds the close signal
 * {@code [255, channel]} that half-closes a channel; v4 has no way to end stdin. Servers send an
 * empty message on the first readable channel to say the session is ready; that reads as nothing.
 */
final class WebSocketExecSession implements ExecSession {
    static final int STDIN = 0;
    static final int STDOUT = 1;
    static final int STDERR = 2;
    static final int ERROR = 3;
    static final int RESIZE = 4;
    static final int CLOSE_SIGNAL = 255;

    private final StreamOptions options;
    private final ChunkPipe[] inbound = new ChunkPipe[5];
    private final WebSocketConnection connection;
    private volatile boolean stdinClosed;
    private final OutputStream stdin = new ChunkingOutput("stdin", new ChunkingOutput.Sink() {
        @Override
        public void send(byte[] chunk) throws IOException {
            if (stdinClosed) {
                throw new IOException("stdin is closed");
            }
            WebSocketExecSession.this.send(STDIN, chunk);
        }

        @Override
        public void close() throws IOException {
            closeStdin();
        }
    });

    private WebSocketExecSession(URI url, StreamOptions o) throws IOException {
        this.options = o;
        inbound[STDOUT] = new ChunkPipe("stdout of " + url.getPath(), o.timeout());
        inbound[STDERR] = new ChunkPipe("stderr of " + url.getPath(), o.timeout());
        inbound[ERROR] = new ChunkPipe("error channel of " + url.getPath(), o.timeout());
        this.connection = WebSocketConnection.open(url, o.offeredProtocols(), o.timeout(), o.access(), new WebSocketConnection.Listener() {
            @Override
            public void onMessage(boolean binary, byte[] data) {
                receive(binary, data);
            }

            @Override
            public void onEnd(IOException failure) {
                for (int ch : new int[]{STDOUT, STDERR, ERROR}) {
                    if (failure == null) {
                        inbound[ch].end();
                    } else {
                        inbound[ch].fail(failure);
                    }
                }
            }
        });
    }

    static WebSocketExecSession open(URI url, StreamOptions o) throws IOException {
        return new WebSocketExecSession(url, o);
    }

    private void receive(boolean binary, byte[] data) {
        if (!binary) {
            failAll(new ProtocolException("text message on a binary channel protocol"));
            return;
        }
        if (data.length == 0) {
            return;
        }
        int channel = data[0] & 0xff;
        if (channel == CLOSE_SIGNAL && isV5()) {
            if (data.length != 2 || pipe(data[1] & 0xff) == null) {
                failAll(new ProtocolException("malformed close signal " + Arrays.toString(data)));
                return;
            }
            pipe(data[1] & 0xff).end();
            return;
        }
        ChunkPipe p = pipe(channel);
        if (p == null) {
            failAll(new ProtocolException("message for channel " + channel + ", which the server does not write"));
            return;
        }
        p.deliver(Arrays.copyOfRange(data, 1, data.length));
    }

    private ChunkPipe pipe(int channel) {
        return channel < inbound.length ? inbound[channel] : null;
    }

    private void failAll(IOException e) {
        for (ChunkPipe p : inbound) {
            if (p != null) {
                p.fail(e);
            }
        }
        connection.close();
    }

    private boolean isV5() {
        return connection.protocol().startsWith("v5.");
    }

    @Override
    public String protocol() {
        return connection.protocol();
    }

    @Override
    public OutputStream stdin() {
        requested(options.stdin(), "stdin");
        return stdin;
    }

    @Override
    public InputStream stdout() {
        requested(options.stdout(), "stdout");
        return inbound[STDOUT].input();
    }

    @Override
    public InputStream stderr() {
        requested(hasStderr(), "stderr");
        return inbound[STDERR].input();
    }

    @Override
    public boolean hasStderr() {
        return options.stderr() && !options.tty();
    }

    @Override
    public void resize(int width, int height) throws IOException {
        requested(options.tty(), "resize (a TTY session)");
        send(RESIZE, ("{\"Width\":" + width + ",\"Height\":" + height + "}\n").getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void closeStdin() throws IOException {
        requested(options.stdin(), "stdin");
        if (!isV5()) {
            throw new UnsupportedOperationException(protocol() + " has no way to end stdin; v5.channel.k8s.io adds the close signal");
        }
        if (!stdinClosed) {
            stdinClosed = true;
            connection.sendBinary(new byte[]{(byte) CLOSE_SIGNAL, STDIN});
        }
    }

    @Override
    public ExecStatus awaitStatus(Duration timeout) throws IOException {
        try {
            if (!inbound[ERROR].awaitEnd(timeout)) {
                throw new SocketTimeoutException("the error channel did not end within " + timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the error channel", e);
        }
        return ExecStatus.parse(protocol(), inbound[ERROR].input().readAllBytes());
    }

    @Override
    public void close() {
        connection.close();
    }

    private void send(int channel, byte[] payload) throws IOException {
        byte[] message = new byte[payload.length + 1];
        message[0] = (byte) channel;
        System.arraycopy(payload, 0, message, 1, payload.length);
        connection.sendBinary(message);
    }

    private static void requested(boolean asked, String what) {
        if (!asked) {
            throw new IllegalStateException("this session has no " + what + " channel: ask for it in StreamOptions");
        }
    }
}
