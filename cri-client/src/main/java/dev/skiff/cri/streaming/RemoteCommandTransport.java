package dev.skiff.cri.streaming;

import io.netty.buffer.ByteBuf;

/** What SPDY and WebSocket each provide to carry a remote command: output streams and the end. */
interface RemoteCommandTransport {
    /** Writes on an output stream (stdout, stderr); the callee owns the buffer. */
    void write(StreamType type, ByteBuf data);

    /** Writes the status on the error stream (when not empty), ends every stream and closes the connection. */
    void finish(byte[] status);

    boolean writable();

    void whenWritable(Runnable task);
}
