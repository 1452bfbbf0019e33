package dev.skiff.cri.docker;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Clamps requested oom_score_adj values the way containerd's {@code restrict_oom_score_adj}
 * does: without CAP_SYS_RESOURCE no process may go below its parent's score, and a container
 * asking for less fails to start ("can't get final child's PID from pipe").
 */
public final class OomScoreAdj {
    private static final Logger log = LoggerFactory.getLogger(OomScoreAdj.class);
    private static final AtomicBoolean warned = new AtomicBoolean();

    private final int own;

    public OomScoreAdj(int own) {
        this.own = own;
    }

    /** Our own score, read from /proc/self/oom_score_adj (0 when unreadable). */
    public static OomScoreAdj fromProc() {
        try {
            return new OomScoreAdj(Integer.parseInt(
                    Files.readString(Path.of("/proc/self/oom_score_adj"), StandardCharsets.US_ASCII).trim()));
        } catch (IOException | NumberFormatException e) {
            log.warn("cannot read /proc/self/oom_score_adj ({}); assuming 0", e.toString());
            return new OomScoreAdj(0);
        }
    }

    public int own() {
        return own;
    }

    /** {@code requested}, or our own score when it asks for less; logs the first clamp. */
    public int clamp(int requested) {
        if (requested >= own) {
            return requested;
        }
        if (warned.compareAndSet(false, true)) {
            log.info("oom_score_adj {} requested is below the shim's own {}: using {} (lowering needs CAP_SYS_RESOURCE); logged once",
                    requested, own, own);
        }
        return own;
    }
}
