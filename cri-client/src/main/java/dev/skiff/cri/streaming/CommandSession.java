package dev.skiff.cri.streaming;

import io.netty.buffer.ByteBuf;

/** A running exec or attach, fed by the transport on the session's event loop. */
public interface CommandSession {
    /** Bytes for the process's stdin; the callee owns the buffer. */
    void stdin(ByteBuf data);

    /** The client closed stdin (EOF for the process). */
    void closeStdin();

    void resize(TerminalSize size);

    /** The client went away: stop, and leave no exec'd process behind. */
    void cancel();
}
