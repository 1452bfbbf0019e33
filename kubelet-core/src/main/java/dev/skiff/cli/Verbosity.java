package dev.skiff.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/** klog-style {@code -v=N}: 0–1 info, 2–3 debug, 4 and up trace. */
final class Verbosity {
    private Verbosity() {}

    static void apply(int v) {
        Level level = v >= 4 ? Level.TRACE : v >= 2 ? Level.DEBUG : Level.INFO;
        ((Logger) LoggerFactory.getLogger("dev.skiff")).setLevel(level);
    }
}
