package dev.skiff.kubelet.pleg;

import java.time.Duration;
import java.util.List;

/**
 * Relist timing and counters for metrics and the benchmark.
 *
 * @param relists         successful relists
 * @param failures        relists that failed (runtime unreachable or erroring)
 * @param last            duration of the last successful relist
 * @param ewma            exponentially weighted mean of the durations (alpha 0.2)
 * @param max             longest successful relist
 * @param bucketBounds    upper bounds of the histogram buckets (a last, unbounded bucket follows)
 * @param bucketCounts    relists per bucket, {@code bucketBounds.size() + 1} entries, not cumulative
 * @param discardedEvents events dropped because the event queue was full
 */
public record RelistStats(long relists, long failures, Duration last, Duration ewma, Duration max,
                          List<Duration> bucketBounds, List<Long> bucketCounts, long discardedEvents) {
}
