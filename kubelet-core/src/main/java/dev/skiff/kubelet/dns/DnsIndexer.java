package dev.skiff.kubelet.dns;

import dev.skiff.kubelet.pod.ServiceValidator;
import dev.skiff.kubelet.status.PodStatusListener;
import dev.skiff.kubelet.worker.ElasticPool;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Service;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Keeps the {@link RecordIndex} current: told of pod status changes (IPs, readiness, deletion) and of Service
 * changes, it rebuilds the whole index on one short-lived thread ({@code dns-index-1}, only while there is work)
 * and swaps it in atomically. Changes that arrive during a rebuild are taken by the next one, so a burst costs a
 * rebuild or two, not one per change; a pod's change is in the answers within milliseconds.
 */
public final class DnsIndexer implements PodStatusListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DnsIndexer.class);

    private final String domain;
    private final Supplier<List<Service>> services;
    private final Clock clock;
    private final Map<String, DnsPod> pods = new ConcurrentHashMap<>();
    private final AtomicReference<RecordIndex> index;
    private final AtomicBoolean pending = new AtomicBoolean();
    private final ThreadPoolExecutor rebuilds = ElasticPool.create("dns-index-", 1, Duration.ofSeconds(30));
    /** What was last said about each Service that is not served, so each is logged once per change. */
    private final Map<String, String> notServedLogged = new HashMap<>();
    private long serial;

    /** @param services every Service the sources define (served or not) */
    public DnsIndexer(String domain, Supplier<List<Service>> services, Clock clock) {
        this.domain = Objects.requireNonNull(domain, "domain");
        this.services = services;
        this.clock = clock;
        this.index = new AtomicReference<>(RecordIndex.empty(domain));
    }

    /** The current index, swapped whole on each change. */
    public AtomicReference<RecordIndex> index() {
        return index;
    }

    @Override
    public void podStatusChanged(Pod pod, PodStatus status) {
        DnsPod next = DnsPod.of(pod, status);
        DnsPod before = pods.put(next.uid(), next);
        if (!next.equals(before)) {
            schedule();
        }
    }

    @Override
    public void podRemoved(String uid) {
        if (pods.remove(uid) != null) {
            schedule();
        }
    }

    /** The sources' Services changed. */
    public void servicesChanged() {
        schedule();
    }

    private void schedule() {
        if (pending.compareAndSet(false, true)) {
            try {
                rebuilds.execute(this::rebuild);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                pending.set(false); // closed
            }
        }
    }

    /** Rebuilds now, on the caller's thread (tests, and the first index at start). */
    public synchronized void rebuild() {
        pending.set(false);
        List<Service> served = new ArrayList<>();
        for (Service svc : services.get()) {
            if (ServiceValidator.isHeadless(svc)) {
                served.add(svc);
            } else {
                logNotServed(svc);
            }
        }
        serial = Math.max(serial + 1, clock.instant().getEpochSecond());
        try {
            RecordIndex next = RecordIndex.build(domain, serial, served, List.copyOf(pods.values()));
            index.set(next);
            log.debug("cluster DNS: {} headless services, {} names", served.size(), next.names().size());
        } catch (RuntimeException e) {
            log.warn("cluster DNS: cannot build the records, keeping the previous ones: {}", e.toString());
        }
    }

    private void logNotServed(Service svc) {
        String key = svc.getMetadata().getNamespace() + "/" + svc.getMetadata().getName();
        String type = svc.getSpec() == null ? "" : svc.getSpec().getType();
        String ip = svc.getSpec() == null || svc.getSpec().getClusterIP() == null ? "" : svc.getSpec().getClusterIP();
        String what = type + "/" + ip;
        if (what.equals(notServedLogged.put(key, what))) {
            return;
        }
        String why = "ExternalName".equals(type) ? "an ExternalName Service's CNAME is not served"
                : "its type is " + type + (ip.isEmpty() ? "" : " with clusterIP " + ip)
                + ", which needs a service proxy (a virtual IP); Skiff serves only headless Services (type ClusterIP,"
                + " clusterIP: None)";
        log.warn("Service {} is not served by the cluster DNS: {}", key, why);
    }

    @Override
    public void close() {
        rebuilds.shutdownNow();
        try {
            rebuilds.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
