package dev.skiff.kubelet;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkQueueTest {
    private static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");
    private final WorkQueue queue = new WorkQueue();

    @Test
    void popDueReturnsOnlyDuePodsAndRemovesThem() {
        queue.enqueue("a", T0, Duration.ofSeconds(1));
        queue.enqueue("b", T0, Duration.ofSeconds(5));
        queue.enqueue("c", T0, Duration.ZERO);

        assertEquals(List.of("c"), queue.popDue(T0));
        assertEquals(List.of("a"), queue.popDue(T0.plusSeconds(1)), "due exactly now counts as due");
        assertEquals(List.of(), queue.popDue(T0.plusSeconds(1)), "popped pods are gone");
        assertEquals(1, queue.size());
        assertEquals(List.of("b"), queue.popDue(T0.plusSeconds(60)));
        assertEquals(0, queue.size());
    }

    @Test
    void nothingIsDueBeforeItsTime() {
        queue.enqueue("a", T0, Duration.ofSeconds(10));
        assertTrue(queue.popDue(T0.plusMillis(9_999)).isEmpty());
        assertEquals(1, queue.size());
    }

    @Test
    void enqueueReplacesTheEarlierPlanBothWays() {
        queue.enqueue("a", T0, Duration.ofSeconds(1));
        queue.enqueue("a", T0, Duration.ofSeconds(30)); // later: the early plan is gone
        assertEquals(1, queue.size());
        assertTrue(queue.popDue(T0.plusSeconds(2)).isEmpty());

        queue.enqueue("a", T0, Duration.ofSeconds(2)); // sooner again
        assertEquals(List.of("a"), queue.popDue(T0.plusSeconds(2)));
        assertEquals(0, queue.size());
    }

    @Test
    void forgetDropsThePod() {
        queue.enqueue("a", T0, Duration.ZERO);
        queue.enqueue("b", T0, Duration.ZERO);
        queue.forget("a");
        queue.forget("unknown"); // harmless
        assertEquals(List.of("b"), queue.popDue(T0.plusSeconds(1)));
    }
}
