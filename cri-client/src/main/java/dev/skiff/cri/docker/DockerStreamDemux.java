package dev.skiff.cri.docker;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;

import java.util.function.Consumer;

/**
 * Docker's multiplexed stream (no TTY): frames of an 8-byte header, {@code [type, 0, 0, 0,
 * size (4 bytes, big-endian)]}, then size bytes; type 1 is stdout, 2 stderr (0, stdin
 * echoed, counts as stdout). Frames may be cut anywhere by the socket.
 */
final class DockerStreamDemux {
    static final int HEADER = 8;

    private final Consumer<ByteBuf> stdout;
    private final Consumer<ByteBuf> stderr;
    private final CompositeByteBuf pending = Unpooled.compositeBuffer(64);
    private int type = -1;
    private int remaining;

    DockerStreamDemux(Consumer<ByteBuf> stdout, Consumer<ByteBuf> stderr) {
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** Takes ownership of the buffer; hands out each payload piece as soon as it arrives. */
    void feed(ByteBuf data) {
        pending.addComponent(true, data);
        while (true) {
            if (type < 0) {
                if (pending.readableBytes() < HEADER) {
                    break;
                }
                type = pending.readUnsignedByte();
                pending.skipBytes(3);
                remaining = pending.readInt();
                if (remaining == 0) {
                    type = -1;
                    continue;
                }
            }
            int n = Math.min(remaining, pending.readableBytes());
            if (n == 0) {
                break;
            }
            ByteBuf piece = pending.readRetainedSlice(n);
            remaining -= n;
            (type == 2 ? stderr : stdout).accept(piece);
            if (remaining == 0) {
                type = -1;
            }
        }
        pending.discardReadComponents();
    }

    void release() {
        pending.release();
    }
}
