package dev.skiff.kubelet.apiserver;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * This host as a Node of the cluster of {@code --kubeconfig}: registers it (retrying with upstream's back-off, 100 ms
 * doubling to 7 s), then renews its Lease and updates its status every 10 s, all on one thread
 * ({@code apiserver-node}). Closing stops the thread and the client; the Node stays, as upstream leaves it.
 */
public final class ApiServerNode implements AutoCloseable {
    static final Duration REGISTER_BACKOFF_START = Duration.ofMillis(100);
    static final Duration REGISTER_BACKOFF_MAX = Duration.ofSeconds(7);
    private static final Logger log = LoggerFactory.getLogger(ApiServerNode.class);

    private final KubernetesClient client;
    private final ScheduledThreadPoolExecutor thread;
    private final NodeRegistrar registrar;
    private final LeaseHeartbeat lease;
    private final NodeStatusUpdater status;
    private volatile Node registered;
    private Duration backoff = REGISTER_BACKOFF_START;

    ApiServerNode(KubernetesClient client, NodeDescription description, NodeHealth health, Clock clock) {
        this.client = client;
        this.registrar = new NodeRegistrar(client, description);
        this.lease = new LeaseHeartbeat(client, description.nodeName(), clock);
        this.status = new NodeStatusUpdater(client, description, health, clock);
        this.thread = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "apiserver-node");
            t.setDaemon(true);
            return t;
        });
        thread.setRemoveOnCancelPolicy(true);
    }

    /** Connects with {@code kubeconfig} and starts registering; the returned handle stops it. */
    public static AutoCloseable start(Path kubeconfig, NodeDescription description, NodeHealth health, Clock clock)
            throws IOException {
        KubernetesClient client = ApiServerClients.fromKubeconfig(kubeconfig);
        log.info("joining the cluster at {} as node {}", client.getMasterUrl(), description.nodeName());
        return start(client, description, health, clock);
    }

    /** Starts with a client made elsewhere (tests); closing closes it. */
    static ApiServerNode start(KubernetesClient client, NodeDescription description, NodeHealth health, Clock clock) {
        ApiServerNode node = new ApiServerNode(client, description, health, clock);
        node.thread.execute(node::register);
        return node;
    }

    /** The Node as registered (or taken over), once it is. */
    Optional<Node> registered() {
        return Optional.ofNullable(registered);
    }

    private void register() {
        Optional<Node> node;
        try {
            node = registrar.register();
        } catch (RuntimeException e) {
            log.error("registering the node failed: {}", e.toString(), e);
            node = Optional.empty();
        }
        if (node.isEmpty()) {
            thread.schedule(this::register, backoff.toMillis(), TimeUnit.MILLISECONDS);
            backoff = backoff.multipliedBy(2).compareTo(REGISTER_BACKOFF_MAX) > 0 ? REGISTER_BACKOFF_MAX : backoff.multipliedBy(2);
            return;
        }
        registered = node.get();
        lease.setNode(node.get());
        status.update(); // the conditions at once, not 10 s later
        thread.scheduleWithFixedDelay(guarded("lease", lease::renew), 0, LeaseHeartbeat.RENEW_INTERVAL.toMillis(),
                TimeUnit.MILLISECONDS);
        thread.scheduleWithFixedDelay(guarded("node status", status::update), NodeStatusUpdater.UPDATE_FREQUENCY.toMillis(),
                NodeStatusUpdater.UPDATE_FREQUENCY.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A periodic task that survives its own bugs: a thrown exception would cancel it for good. */
    private static Runnable guarded(String what, Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                log.error("{} update failed: {}", what, e.toString(), e);
            }
        };
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            if (!thread.awaitTermination(ApiServerClients.REQUEST_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS)) {
                log.warn("apiserver-node thread still busy after close");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        client.close();
    }
}
