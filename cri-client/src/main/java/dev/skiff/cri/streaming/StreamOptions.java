package dev.skiff.cri.streaming;

/** Which streams a session carries, from the CRI request the token stood for. */
record StreamOptions(boolean stdin, boolean stdout, boolean stderr, boolean tty) {
    /** Whether the client opens this stream for the session to start (upstream's expected streams; resize is optional here). */
    boolean expects(StreamType type) {
        return switch (type) {
            case ERROR -> true;
            case STDIN -> stdin;
            case STDOUT -> stdout;
            case STDERR -> stderr && !tty;
            case RESIZE -> false;
        };
    }
}
