package dev.skiff.kubelet.prober.results;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The latest result of one kind of probe per container (upstream's prober/results manager). Listeners hear of a
 * change only, on the thread that made it: they must be quick. Thread-safe.
 */
public final class ResultsManager {
    private record Entry(ProbeResult result, String output) {
    }

    private final Map<String, Entry> byContainer = new ConcurrentHashMap<>();
    private final List<Consumer<ResultUpdate>> listeners = new CopyOnWriteArrayList<>();

    public void onUpdate(Consumer<ResultUpdate> listener) {
        listeners.add(listener);
    }

    public Optional<ProbeResult> get(String containerId) {
        Entry e = byContainer.get(containerId);
        return e == null ? Optional.empty() : Optional.of(e.result());
    }

    /** The handler's output that led to the current result ("" when none): the message of a probe failure. */
    public String output(String containerId) {
        Entry e = byContainer.get(containerId);
        return e == null ? "" : e.output();
    }

    /** Caches the result; listeners hear of it when it differs from the cached one. */
    public void set(String containerId, ProbeResult result, String output, String podUid) {
        Entry prev = byContainer.put(containerId, new Entry(result, output == null ? "" : output));
        if (prev == null || prev.result() != result) {
            ResultUpdate u = new ResultUpdate(containerId, result, podUid);
            listeners.forEach(l -> l.accept(u));
        }
    }

    public void remove(String containerId) {
        byContainer.remove(containerId);
    }

    /** How many containers have a cached result (for tests and leak checks). */
    public int size() {
        return byContainer.size();
    }
}
