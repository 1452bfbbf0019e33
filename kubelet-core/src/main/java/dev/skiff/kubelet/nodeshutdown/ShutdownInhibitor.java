package dev.skiff.kubelet.nodeshutdown;

import java.time.Duration;

/**
 * What the node shutdown manager needs from systemd-logind (upstream's dbusInhibiter in
 * pkg/kubelet/nodeshutdown/nodeshutdown_manager_linux.go): the inhibit delay, a way to raise it, a {@code delay}
 * inhibitor lock on {@code shutdown}, and the {@code PrepareForShutdown} signal. Every call is bounded in time.
 */
public interface ShutdownInhibitor {
    /** logind's {@code InhibitDelayMaxUSec}; fails, saying why in one line, when logind does not answer. */
    Duration currentInhibitDelay() throws InhibitorException;

    /** Writes a logind drop-in raising {@code InhibitDelayMaxSec} to {@code delay} (read at logind's next reload). */
    void overrideInhibitDelay(Duration delay) throws InhibitorException;

    /** Makes logind re-read its configuration (upstream: SIGHUP to systemd-logind.service through systemd). */
    void reloadLogindConf() throws InhibitorException;

    /** Takes a {@code delay} inhibitor lock on {@code shutdown}; held until {@link InhibitLock#release()}. */
    InhibitLock inhibitShutdown() throws InhibitorException;

    /**
     * Watches logind's {@code PrepareForShutdown(b)} signal; returns once the watch is in place. The listener is
     * called on the watch's own thread, never after {@link ShutdownWatch#close()} returned.
     */
    ShutdownWatch monitorShutdown(ShutdownListener listener) throws InhibitorException;

    /** A held inhibitor lock. */
    interface InhibitLock {
        /** Releases the lock (idempotent); logind then goes on with a shutdown it was delaying. */
        void release();

        /** False once released, or when whatever held it went away. */
        boolean held();
    }

    /** A running watch for {@code PrepareForShutdown}. */
    interface ShutdownWatch extends AutoCloseable {
        @Override
        void close();
    }

    /** Told about logind's shutdown signals. */
    interface ShutdownListener {
        /** {@code true}: the machine is about to shut down; {@code false}: a shutdown was cancelled. */
        void prepareForShutdown(boolean active);

        /** The watch ended by itself (bus gone, tool died); not called after an explicit close. */
        void watchEnded(String why);
    }
}
