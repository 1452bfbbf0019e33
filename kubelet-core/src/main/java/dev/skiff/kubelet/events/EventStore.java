package dev.skiff.kubelet.events;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The kubelet's events, kept in memory where an operator can read them ({@code /events}, {@code skiff describe});
 * a standalone upstream kubelet has no API server to send them to and throws them away. Each event passes
 * client-go's correlator (tools/record/events_cache.go), with its defaults:
 * <ol>
 *   <li>spam filter: per pod and event type, a bucket of 25 events refilled with one every 5 minutes; an event
 *       that finds it empty is dropped;</li>
 *   <li>aggregation: from the 10th event of one pod, type and reason with a different message within 10 minutes,
 *       they fold into one event {@code (combined from similar events): <latest message>};</li>
 *   <li>deduplication: an event equal to a stored one (same container, type, reason and message) increments its
 *       count and moves its last timestamp.</li>
 * </ol>
 * Bounded: at most {@code capacity} events (the least recently seen go first) and none older than {@code ttl}
 * since last seen (the API server's default event TTL is 1 h). Thread-safe; recording is a few map operations.
 */
public final class EventStore implements EventRecorder {
    public static final int DEFAULT_CAPACITY = 4096;
    public static final Duration DEFAULT_TTL = Duration.ofHours(1);
    static final int SPAM_BURST = 25;
    static final Duration SPAM_REFILL = Duration.ofMinutes(5);
    static final int MAX_SIMILAR = 10;
    static final Duration SIMILAR_WINDOW = Duration.ofMinutes(10);
    static final String COMBINED = "(combined from similar events): ";
    private static final Logger log = LoggerFactory.getLogger(EventStore.class);

    private final Clock clock;
    private final int capacity;
    private final Duration ttl;
    /** By dedup key, least recently seen first. */
    private final LinkedHashMap<String, RecordedEvent> events = new LinkedHashMap<>();
    private final LinkedHashMap<String, Similar> similar = lru();
    private final LinkedHashMap<String, Bucket> buckets = lru();

    private static final class Similar {
        final Set<String> messages = new HashSet<>();
        Instant last;
    }

    private static final class Bucket {
        double tokens = SPAM_BURST;
        Instant refilled;
    }

    public EventStore(Clock clock, int capacity, Duration ttl) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.clock = clock;
        this.capacity = capacity;
        this.ttl = ttl;
    }

    public EventStore(Clock clock) {
        this(clock, DEFAULT_CAPACITY, DEFAULT_TTL);
    }

    @Override
    public synchronized void record(EventTarget target, EventType type, String reason, String message) {
        Instant now = clock.instant();
        String object = target.namespace() + "/" + target.name() + "/" + target.uid();
        if (!takeToken(object + "/" + type, now)) {
            log.debug("event dropped by the spam filter: pod {} ({}): {} {}: {}", target.podKey(), target.uid(),
                    type.wire(), reason, message);
            return;
        }
        String key = object + "\0" + target.fieldPath() + "\0" + type + "\0" + reason + "\0" + message;
        String aggregateKey = object + "\0" + type + "\0" + reason;
        Similar s = similar.get(aggregateKey);
        if (s == null || Duration.between(s.last, now).compareTo(SIMILAR_WINDOW) > 0) {
            s = new Similar();
        }
        similar.remove(aggregateKey);
        similar.put(aggregateKey, s);
        s.last = now;
        s.messages.add(message);
        if (s.messages.size() >= MAX_SIMILAR) {
            s.messages.remove(message); // the set never grows past the threshold, as client-go's
            key = aggregateKey;
            message = COMBINED + message;
            target = new EventTarget(target.namespace(), target.name(), target.uid(), "");
        }
        RecordedEvent old = events.remove(key);
        RecordedEvent next = old != null ? old.repeated(message, now)
                : new RecordedEvent(target.name() + "." + Long.toHexString(nanos(now)), target, type, reason, message,
                1, now, now);
        events.put(key, next);
        log.debug("event: pod {} ({}) {}: {} {}: {}", target.podKey(), target.uid(), target.fieldPath(), type.wire(),
                reason, message);
        evict(now);
    }

    /** Every stored event, oldest last-seen first. */
    public List<RecordedEvent> list() {
        return list(null);
    }

    /** The stored events of the pod {@code namespace/name} (every pod when null), oldest last-seen first. */
    public synchronized List<RecordedEvent> list(String podKey) {
        evict(clock.instant());
        List<RecordedEvent> out = new ArrayList<>();
        for (RecordedEvent e : events.values()) {
            if (podKey == null || podKey.equals(e.target().podKey())) {
                out.add(e);
            }
        }
        out.sort(Comparator.comparing(RecordedEvent::lastTimestamp));
        return out;
    }

    private boolean takeToken(String key, Instant now) {
        Bucket b = buckets.remove(key);
        if (b == null) {
            b = new Bucket();
            b.refilled = now;
        }
        buckets.put(key, b);
        double refill = (double) Duration.between(b.refilled, now).toMillis() / SPAM_REFILL.toMillis();
        if (refill > 0) {
            b.tokens = Math.min(SPAM_BURST, b.tokens + refill);
            b.refilled = now;
        }
        if (b.tokens < 1) {
            return false;
        }
        b.tokens--;
        return true;
    }

    private void evict(Instant now) {
        Iterator<RecordedEvent> it = events.values().iterator();
        while (it.hasNext()) {
            RecordedEvent e = it.next();
            if (events.size() > capacity || Duration.between(e.lastTimestamp(), now).compareTo(ttl) > 0) {
                it.remove();
            } else {
                break; // ordered by last seen: the rest are younger
            }
        }
    }

    private static long nanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    /** A map that forgets its least recently used keys beyond the correlator's cache size. */
    private static <V> LinkedHashMap<String, V> lru() {
        return new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                return size() > DEFAULT_CAPACITY;
            }
        };
    }
}
