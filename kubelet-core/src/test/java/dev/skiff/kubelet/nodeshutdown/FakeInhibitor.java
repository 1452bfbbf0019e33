package dev.skiff.kubelet.nodeshutdown;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** An in-memory logind: a delay that a reload may raise, locks that count, and signals the test sends. */
final class FakeInhibitor implements ShutdownInhibitor {
    volatile Duration delay = Duration.ofSeconds(30);
    volatile boolean reloadApplies = true;
    volatile String unavailable;
    volatile String monitorFailure;
    volatile Duration overriddenTo;
    final AtomicInteger reloads = new AtomicInteger();
    final AtomicInteger locksTaken = new AtomicInteger();
    final List<FakeLock> locks = new ArrayList<>();
    final List<String> events = new ArrayList<>();
    volatile ShutdownListener listener;
    volatile int watchesClosed;

    @Override
    public Duration currentInhibitDelay() throws InhibitorException {
        if (unavailable != null) {
            throw new InhibitorException(unavailable);
        }
        return delay;
    }

    @Override
    public void overrideInhibitDelay(Duration d) {
        overriddenTo = d;
        record("override " + d.toSeconds());
    }

    @Override
    public void reloadLogindConf() {
        reloads.incrementAndGet();
        record("reload");
        if (reloadApplies && overriddenTo != null) {
            delay = overriddenTo;
        }
    }

    @Override
    public synchronized InhibitLock inhibitShutdown() {
        FakeLock l = new FakeLock();
        locks.add(l);
        locksTaken.incrementAndGet();
        record("lock");
        return l;
    }

    @Override
    public ShutdownWatch monitorShutdown(ShutdownListener l) throws InhibitorException {
        if (monitorFailure != null) {
            throw new InhibitorException(monitorFailure);
        }
        listener = l;
        record("monitor");
        return () -> {
            watchesClosed++;
            listener = null;
        };
    }

    /** Locks not released yet. */
    synchronized long held() {
        return locks.stream().filter(FakeLock::held).count();
    }

    synchronized List<String> events() {
        return List.copyOf(events);
    }

    synchronized void record(String e) {
        events.add(e);
    }

    void emit(boolean active) {
        listener.prepareForShutdown(active);
    }

    final class FakeLock implements InhibitLock {
        private volatile boolean held = true;

        @Override
        public void release() {
            if (held) {
                held = false;
                record("release");
            }
        }

        @Override
        public boolean held() {
            return held;
        }
    }
}
