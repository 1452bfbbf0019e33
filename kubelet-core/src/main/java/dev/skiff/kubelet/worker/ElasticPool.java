package dev.skiff.kubelet.worker;

import java.time.Duration;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A pool for calls that block for as long as their work lasts (StopContainer through a grace period, an exec hook,
 * an image pull): an idle thread takes a task when there is one, else a new thread starts, up to {@code max}; past
 * that, tasks wait in line. Threads end after {@code keepAlive} idle, so the pool holds threads only while such
 * calls are in flight.
 */
public final class ElasticPool {
    private ElasticPool() {
    }

    public static ThreadPoolExecutor create(String prefix, int max, Duration keepAlive) {
        HandOffQueue queue = new HandOffQueue();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(0, max, keepAlive.toMillis(), TimeUnit.MILLISECONDS, queue,
                named(prefix), (task, executor) -> {
                    if (executor.isShutdown()) {
                        throw new RejectedExecutionException(prefix + " pool is shut down");
                    }
                    queue.put(task); // every thread busy and no room for another: wait in line
                });
        return pool;
    }

    /** Accepts a task only when an idle thread is waiting for one, so the executor starts a thread otherwise. */
    private static final class HandOffQueue extends LinkedTransferQueue<Runnable> {
        @Override
        public boolean offer(Runnable task) {
            return tryTransfer(task);
        }
    }

    /** Daemon threads named {@code prefix + n}, counting from 1. */
    public static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
