package dev.skiff.cri.streaming;

import io.netty.channel.Channel;

import java.util.ArrayList;
import java.util.List;

/** Tasks waiting for a channel to become writable again (backpressure from a slow client). */
final class WritabilityWaiters {
    private final Channel channel;
    private List<Runnable> waiting = new ArrayList<>();

    WritabilityWaiters(Channel channel) {
        this.channel = channel;
    }

    boolean writable() {
        return channel.isWritable();
    }

    /** Runs at once when writable; otherwise on the next {@link #changed()} that finds the channel writable. */
    void add(Runnable task) {
        if (channel.isWritable() || !channel.isActive()) {
            task.run();
        } else {
            waiting.add(task);
        }
    }

    /** Call from channelWritabilityChanged and channelInactive. */
    void changed() {
        if (waiting.isEmpty() || (channel.isActive() && !channel.isWritable())) {
            return;
        }
        List<Runnable> run = waiting;
        waiting = new ArrayList<>();
        run.forEach(Runnable::run);
    }
}
