package dev.skiff.kubelet.apiserver;

import io.fabric8.kubernetes.api.model.ContainerImage;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeStatus;
import io.fabric8.kubernetes.api.model.NodeStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Node's status, as upstream's updateNodeStatus with the Lease on: computed every nodeStatusUpdateFrequency (10 s)
 * and PATCHed (strategic merge, on the status subresource) only when it changed, heartbeat times aside, or when
 * nodeStatusReportFrequency (5 min) passed since the last report. Between reports the Lease is the heartbeat.
 */
final class NodeStatusUpdater {
    static final Duration UPDATE_FREQUENCY = Duration.ofSeconds(10);
    static final Duration REPORT_FREQUENCY = Duration.ofMinutes(5);
    private static final Logger log = LoggerFactory.getLogger(NodeStatusUpdater.class);

    private final KubernetesClient client;
    private final NodeDescription description;
    private final NodeHealth health;
    private final Clock clock;
    private List<NodeCondition> lastConditions = List.of();
    private NodeStatus lastRest;
    private Instant lastReport = Instant.MIN;
    private boolean failing;

    NodeStatusUpdater(KubernetesClient client, NodeDescription description, NodeHealth health, Clock clock) {
        this.client = client;
        this.description = description;
        this.health = health;
        this.clock = clock;
    }

    /** One update; returns whether a PATCH was sent and accepted. */
    boolean update() {
        Instant now = clock.instant();
        List<NodeCondition> conditions = NodeConditions.compute(health.notReady().get(), stats(), lastConditions, now);
        NodeStatus rest = staticStatus(images());
        boolean changed = lastRest == null || !rest.equals(lastRest) || NodeConditions.changed(lastConditions, conditions);
        if (!changed && Duration.between(lastReport, now).compareTo(REPORT_FREQUENCY) < 0) {
            return false;
        }
        NodeStatus status = new NodeStatusBuilder(rest).withConditions(conditions).build();
        try {
            client.nodes().withName(description.nodeName()).subresource("status")
                    .patch(PatchContext.of(PatchType.STRATEGIC_MERGE), Json.write(client, Map.of("status", status)));
        } catch (KubernetesClientException e) {
            if (!failing) {
                log.warn("error updating node status of {}, will retry: {}", description.nodeName(), NodeRegistrar.brief(e));
                failing = true;
            }
            return false;
        }
        if (failing || NodeConditions.changed(lastConditions, conditions)) {
            log.info("node {} status: {}", description.nodeName(), summary(conditions));
        }
        failing = false;
        lastConditions = conditions;
        lastRest = rest;
        lastReport = now;
        return true;
    }

    private NodeStatus staticStatus(List<ContainerImage> images) {
        return new NodeStatusBuilder()
                .withCapacity(NodeObjects.capacity(description)).withAllocatable(NodeObjects.allocatable(description))
                .withAddresses(NodeObjects.addresses(description)).withNodeInfo(NodeObjects.nodeInfo(description))
                .withNewDaemonEndpoints().withNewKubeletEndpoint(description.kubeletPort()).endDaemonEndpoints()
                .withImages(images)
                .build();
    }

    private Optional<dev.skiff.kubelet.stats.Summary.NodeStats> stats() {
        try {
            return health.nodeStats().get();
        } catch (RuntimeException e) {
            return Optional.empty(); // no stats: no pressure is claimed
        }
    }

    private List<ContainerImage> images() {
        try {
            return health.images().get();
        } catch (RuntimeException e) {
            return lastRest == null ? List.of() : lastRest.getImages(); // the runtime did not answer: keep the last list
        }
    }

    private static String summary(List<NodeCondition> conditions) {
        StringBuilder b = new StringBuilder();
        for (NodeCondition c : conditions) {
            b.append(b.isEmpty() ? "" : ", ").append(c.getType()).append('=').append(c.getStatus());
            if (c.getType().equals("Ready") && !c.getStatus().equals("True")) {
                b.append(" (").append(c.getMessage()).append(')');
            }
        }
        return b.toString();
    }
}
