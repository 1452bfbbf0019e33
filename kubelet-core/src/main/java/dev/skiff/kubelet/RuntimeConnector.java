package dev.skiff.kubelet;

import dev.skiff.cri.CriRuntime;
import dev.skiff.cri.v1.VersionRequest;
import dev.skiff.cri.v1.VersionResponse;
import dev.skiff.kubelet.kuberuntime.actions.ImagePuller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Connects to the container runtime, waiting with back-off (1 s doubling to 30 s) while it does not answer, so a
 * kubelet started before Docker (at boot, or while dockerd restarts) comes up when the runtime does instead of
 * exiting. Until then {@link #health()} says what it waits for, for {@code /healthz} and the service status.
 */
final class RuntimeConnector {
    static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    static final Duration MAX_RETRY = Duration.ofSeconds(30);
    private static final Logger log = LoggerFactory.getLogger(RuntimeConnector.class);

    /** Opens a client and asks for its version; throws when the runtime does not answer. */
    interface Dialer {
        CriRuntime dial();
    }

    /** A connected runtime and what it said it is. */
    record Connected(CriRuntime runtime, VersionResponse version) {
    }

    private final String endpoint;
    private final String flag;
    private final Dialer dialer;
    private final CountDownLatch cancelled = new CountDownLatch(1);
    private final Duration firstRetry;
    private final Duration maxRetry;
    private volatile String waiting; // null once connected or before the first try

    /**
     * @param flag the flag that names the endpoint, for the hint in the log (e.g. {@code --docker-endpoint})
     */
    RuntimeConnector(String endpoint, String flag, Dialer dialer) {
        this(endpoint, flag, dialer, FIRST_RETRY, MAX_RETRY);
    }

    RuntimeConnector(String endpoint, String flag, Dialer dialer, Duration firstRetry, Duration maxRetry) {
        this.endpoint = endpoint;
        this.flag = flag;
        this.dialer = dialer;
        this.firstRetry = firstRetry;
        this.maxRetry = maxRetry;
    }

    /**
     * Returns once the runtime answers {@code Version}; empty when {@link #cancel()} came first.
     *
     * @param progress told each failure's one-line reason (for the service status)
     */
    Optional<Connected> connect(Consumer<String> progress) throws InterruptedException {
        Duration delay = firstRetry;
        for (int attempt = 1; cancelled.getCount() > 0; attempt++) {
            String reason;
            CriRuntime runtime = null;
            try {
                runtime = dialer.dial();
                VersionResponse v = runtime.runtime().version(VersionRequest.getDefaultInstance());
                waiting = null;
                if (attempt > 1) {
                    log.info("container runtime {} answers after {} attempts", endpoint, attempt);
                }
                return Optional.of(new Connected(runtime, v));
            } catch (RuntimeException e) {
                closeQuietly(runtime);
                reason = ImagePuller.goError(e);
            }
            waiting = "runtime: " + endpoint + " does not answer: " + reason + " (attempt " + attempt + ", next in "
                    + seconds(delay) + ")";
            log.warn("container runtime {} does not answer (attempt {}): {}; retrying in {} (is it running? check {})",
                    endpoint, attempt, reason, seconds(delay), flag);
            progress.accept("waiting for the container runtime " + endpoint + ": " + reason);
            if (cancelled.await(delay.toMillis(), TimeUnit.MILLISECONDS)) {
                break;
            }
            delay = delay.multipliedBy(2).compareTo(maxRetry) > 0 ? maxRetry : delay.multipliedBy(2);
        }
        return Optional.empty();
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    /** Empty once connected (or before the first attempt), else why the kubelet is still waiting. */
    Optional<String> health() {
        return Optional.ofNullable(waiting);
    }

    /** Stops waiting; {@link #connect} returns empty. */
    void cancel() {
        cancelled.countDown();
    }

    private static void closeQuietly(CriRuntime runtime) {
        if (runtime == null) {
            return;
        }
        try {
            runtime.close();
        } catch (Exception e) {
            log.debug("closing an unanswering runtime client: {}", e.toString());
        }
    }
}
