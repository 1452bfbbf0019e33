package dev.skiff.cri.docker;

import dev.skiff.cri.CriErrors;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * The pod containers and sandboxes Docker holds, one {@link ContainerRecord} each, so status and list calls need
 * no Docker call. Kept current by Docker's event stream ({@link DockerEventWatcher}: each event re-inspects its
 * id) and by the shim's own calls, which mark what they changed ({@link #changed}) or removed ({@link #removed})
 * before they return: a marked id is inspected again by the next read, so a status right after a start sees it
 * started. Only while {@link #live()} (the stream is connected and the index resynced since) do the calls answer
 * from here; otherwise they ask Docker as before.
 *
 * <p>Each id's inspect-and-store runs under that id's lock stripe, so two observations of one id are stored in the
 * order they were made; a mark waits for an inspect in flight, so it is never lost to an older observation.
 */
final class RuntimeIndex {
    /** Docker's side: one object by id, and every pod object's id. */
    interface Source {
        /** The pod object with this id; empty when Docker has none or it is no pod object. */
        Optional<ContainerRecord> inspect(String id);

        /** The ids of every pod container and sandbox, in any state. */
        List<String> ids();
    }

    private static final Pattern FULL_ID = Pattern.compile("[0-9a-f]{64}");
    private static final Comparator<ContainerRecord> NEWEST_FIRST =
            Comparator.comparingLong(ContainerRecord::createdNanos).reversed().thenComparing(ContainerRecord::id);

    private record Held(ContainerRecord record, long tick) {}

    private final Source source;
    private final Map<String, Held> records = new ConcurrentHashMap<>();
    private final Set<String> dirty = ConcurrentHashMap.newKeySet();
    private final Object[] stripes = new Object[64];
    private final AtomicLong ticks = new AtomicLong();
    private volatile boolean live;

    RuntimeIndex(Source source) {
        this.source = source;
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new Object();
        }
    }

    boolean live() {
        return live;
    }

    void live(boolean live) {
        this.live = live;
    }

    /** True when a call about this id may answer from the index: it is live and the id is a full one. */
    boolean answers(String id) {
        return live && id != null && FULL_ID.matcher(id).matches();
    }

    /** Whether the index holds this id (for events about objects whose labels they do not carry). */
    boolean knows(String id) {
        return records.containsKey(id);
    }

    int size() {
        return records.size();
    }

    /**
     * As {@link KubeObjects#find}, from the index: the object of this type, inspected first when marked or not
     * held yet (a create whose event has not come). Empty for an unknown id or one of another type.
     */
    Optional<ContainerRecord> find(String id, String type, String kind) {
        try {
            if (dirty.contains(id) || !records.containsKey(id)) {
                refresh(id);
            }
        } catch (RuntimeException e) {
            throw DockerErrors.map(e, "inspect", kind + " " + id);
        }
        Held h = records.get(id);
        return h != null && type.equals(h.record().type()) ? Optional.of(h.record()) : Optional.empty();
    }

    /** As {@link #find}, NOT_FOUND naming the id when there is none. */
    ContainerRecord require(String id, String type, String kind) {
        return find(id, type, kind).orElseThrow(() -> CriErrors.notFound("%s %s not found", kind, id));
    }

    /** Every held object of this type, newest first (Docker's list order), marked ones inspected again first. */
    List<ContainerRecord> all(String type) {
        for (String id : List.copyOf(dirty)) {
            refresh(id);
        }
        List<ContainerRecord> out = new ArrayList<>();
        for (Held h : records.values()) {
            if (type.equals(h.record().type())) {
                out.add(h.record());
            }
        }
        out.sort(NEWEST_FIRST);
        return out;
    }

    /** Inspects the id now and stores what Docker says (or forgets it); serialised per id. */
    void refresh(String id) {
        synchronized (stripe(id)) {
            long tick = ticks.incrementAndGet();
            Optional<ContainerRecord> seen = source.inspect(id); // a failure leaves the mark for the next read
            if (seen.isPresent()) {
                records.put(id, new Held(seen.get(), tick));
            } else {
                records.remove(id);
            }
            // only now: a reader that finds no mark finds this observation (marks wait for the lock, so none came meanwhile)
            dirty.remove(id);
        }
    }

    /** The shim changed this object (or made it): the next read inspects it again. */
    void changed(String id) {
        synchronized (stripe(id)) {
            dirty.add(id);
        }
    }

    /** The shim removed this object. */
    void removed(String id) {
        synchronized (stripe(id)) {
            records.remove(id);
            dirty.remove(id);
        }
    }

    /**
     * Lists and inspects everything again (at start and after every reconnect of the event stream); objects gone
     * meanwhile are dropped unless they were observed after the list was taken.
     */
    void resync() {
        long listedAt = ticks.incrementAndGet();
        List<String> ids = source.ids();
        Set<String> present = new HashSet<>(ids);
        for (String id : ids) {
            refresh(id);
        }
        for (String id : List.copyOf(records.keySet())) {
            if (present.contains(id)) {
                continue;
            }
            synchronized (stripe(id)) {
                Held h = records.get(id);
                if (h != null && h.tick() < listedAt) {
                    records.remove(id);
                }
            }
        }
    }

    private Object stripe(String id) {
        return stripes[Math.floorMod(id.hashCode(), stripes.length)];
    }
}
