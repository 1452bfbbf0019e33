package dev.skiff.kubelet.apiserver;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

/**
 * The node's heartbeat, as upstream's nodelease controller: the Lease {@code kube-node-lease/<node>}
 * (coordination.k8s.io/v1, served since 1.14) renewed every 10 s with a 40 s duration. A renewal is an update with the
 * resourceVersion of the Lease last seen; on a conflict (someone else wrote it) it reads the Lease again and retries
 * once; when the Lease is gone it is created again, owned by the Node so it goes with it.
 */
final class LeaseHeartbeat {
    static final String NAMESPACE = "kube-node-lease";
    static final Duration RENEW_INTERVAL = Duration.ofSeconds(10);
    static final int LEASE_DURATION_SECONDS = 40;
    private static final Logger log = LoggerFactory.getLogger(LeaseHeartbeat.class);

    private final KubernetesClient client;
    private final String nodeName;
    private final Clock clock;
    private volatile Node node;
    /** The Lease as last read or written; null = read (or create) it first. */
    private Lease latest;
    private boolean failing;
    /** Whether the last {@link #getOrCreate()} created the Lease (with a fresh renewTime). */
    private boolean created;

    LeaseHeartbeat(KubernetesClient client, String nodeName, Clock clock) {
        this.client = client;
        this.nodeName = nodeName;
        this.clock = clock;
    }

    /** The registered Node: the owner of a Lease this creates. */
    void setNode(Node node) {
        this.node = node;
    }

    /** One renewal; failures are logged (once per outage) and the next call tries again. */
    void renew() {
        try {
            if (latest == null) {
                latest = getOrCreate();
                if (created) {
                    return; // creating it was this renewal
                }
            }
            try {
                latest = update(latest);
            } catch (KubernetesClientException e) {
                if (e.getCode() != HttpURLConnection.HTTP_CONFLICT && e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) {
                    throw e;
                }
                // upstream's fallback: a fresh copy, then one more try
                latest = getOrCreate();
                if (!created) {
                    latest = update(latest);
                }
            }
            if (failing) {
                log.info("node lease {}/{} renewed again", NAMESPACE, nodeName);
                failing = false;
            }
        } catch (KubernetesClientException e) {
            latest = null;
            if (!failing) {
                log.warn("failed to renew node lease {}/{}: {}", NAMESPACE, nodeName, NodeRegistrar.brief(e));
                failing = true;
            }
        }
    }

    private Lease getOrCreate() {
        Lease existing = client.leases().inNamespace(NAMESPACE).withName(nodeName).get();
        created = existing == null;
        if (existing != null) {
            return existing;
        }
        LeaseBuilder b = new LeaseBuilder().withNewMetadata().withName(nodeName).withNamespace(NAMESPACE).endMetadata()
                .withNewSpec().withHolderIdentity(nodeName).withLeaseDurationSeconds(LEASE_DURATION_SECONDS)
                .withRenewTime(now()).endSpec();
        Node owner = node;
        if (owner != null && owner.getMetadata().getUid() != null) {
            b.editMetadata().withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("v1").withKind("Node")
                    .withName(nodeName).withUid(owner.getMetadata().getUid()).build()).endMetadata();
        }
        Lease made = client.leases().inNamespace(NAMESPACE).resource(b.build()).create();
        log.info("node lease {}/{} created", NAMESPACE, nodeName);
        return made;
    }

    private Lease update(Lease base) {
        Lease next = new LeaseBuilder(base).editSpec().withHolderIdentity(nodeName)
                .withLeaseDurationSeconds(LEASE_DURATION_SECONDS).withRenewTime(now()).endSpec().build();
        // update() sends the resourceVersion it carries: a write by someone else in between is a 409
        return client.leases().inNamespace(NAMESPACE).resource(next).update();
    }

    private ZonedDateTime now() {
        return ZonedDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
    }
}
