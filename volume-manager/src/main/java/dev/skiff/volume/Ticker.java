package dev.skiff.volume;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/** A named thread that runs its work every 100 ms, and at once when woken; stops on close. */
final class Ticker implements AutoCloseable {
    /** One pass; {@code woken} is true when somebody asked for it rather than the clock. */
    interface Work {
        void run(boolean woken);
    }

    private static final Logger log = LoggerFactory.getLogger(Ticker.class);

    private final Thread thread;
    private final Work work;
    private final Object lock = new Object();
    private boolean woken;
    private volatile boolean stopped;

    Ticker(String name, Work work) {
        this.work = work;
        this.thread = new Thread(this::loop, name);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    void wake() {
        synchronized (lock) {
            woken = true;
            lock.notifyAll();
        }
    }

    private void loop() {
        while (!stopped) {
            boolean byRequest;
            synchronized (lock) {
                if (!woken) {
                    try {
                        lock.wait(VolumeManager.TICK_MILLIS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                byRequest = woken;
                woken = false;
            }
            if (stopped) {
                return;
            }
            try {
                work.run(byRequest);
            } catch (Throwable e) {
                // a thread that died here would leave every pod waiting for its volumes: log and go on
                log.error("{}: {}", thread.getName(), e.toString(), e);
            }
        }
    }

    @Override
    public void close() {
        stopped = true;
        wake(); // not interrupt(): that would break a mount or a write half-way
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
