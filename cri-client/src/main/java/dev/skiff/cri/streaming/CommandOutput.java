package dev.skiff.cri.streaming;

import io.netty.buffer.ByteBuf;

/**
 * Where a runtime session sends its output; implemented by the transport. All calls are made
 * on the session's event loop. The buffers passed in are owned by the callee.
 */
public interface CommandOutput {
    void stdout(ByteBuf data);

    void stderr(ByteBuf data);

    /** The session is over (called once): the transport reports the result and closes. */
    void finished(CommandResult result);

    /** False while the client does not take output fast enough: the runtime stops reading until {@link #whenWritable} fires. */
    boolean writable();

    /** Runs the task on the event loop once the client takes output again (at once if it does). */
    void whenWritable(Runnable task);
}
