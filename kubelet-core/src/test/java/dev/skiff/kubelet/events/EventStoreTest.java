package dev.skiff.kubelet.events;

import dev.skiff.kubelet.worker.FakeClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventStoreTest {
    private final FakeClock clock = new FakeClock(Instant.parse("2026-12-07T10:00:00Z"));
    private final EventStore store = new EventStore(clock);
    private final EventTarget web = new EventTarget("default", "web-node1", "u1", "spec.containers{httpd}");
    private final EventTarget db = new EventTarget("prod", "db-node1", "u2", "");

    @Test
    void anEqualEventIsCountedWithItsFirstAndLastTime() {
        store.warning(web, Reasons.BACK_OFF, "Back-off restarting failed container httpd");
        clock.advance(Duration.ofSeconds(30));
        store.warning(web, Reasons.BACK_OFF, "Back-off restarting failed container httpd");
        store.normal(web, Reasons.PULLED, "Container image \"x\" already present on machine");
        List<RecordedEvent> all = store.list();
        assertEquals(2, all.size(), all.toString());
        RecordedEvent backOff = all.stream().filter(e -> e.reason().equals(Reasons.BACK_OFF)).findFirst().orElseThrow();
        assertEquals(2, backOff.count());
        assertEquals(Instant.parse("2026-12-07T10:00:00Z"), backOff.firstTimestamp());
        assertEquals(Instant.parse("2026-12-07T10:00:30Z"), backOff.lastTimestamp());
        assertEquals(EventType.WARNING, backOff.type());
        assertTrue(backOff.name().startsWith("web-node1."), backOff.name());
        assertEquals("spec.containers{httpd}", backOff.target().fieldPath());
    }

    @Test
    void similarEventsFoldFromTheTenthWithinTenMinutes() {
        for (int i = 1; i <= 12; i++) {
            store.warning(web, Reasons.UNHEALTHY, "Readiness probe failed: attempt " + i);
            clock.advance(Duration.ofSeconds(1));
        }
        List<RecordedEvent> all = store.list("default/web-node1");
        assertEquals(10, all.size(), all.toString()); // 9 distinct, then one combined event counted 3 times
        RecordedEvent combined = all.get(all.size() - 1);
        assertEquals("(combined from similar events): Readiness probe failed: attempt 12", combined.message());
        assertEquals(3, combined.count());

        clock.advance(Duration.ofMinutes(11)); // the window is over: messages stand alone again
        store.warning(web, Reasons.UNHEALTHY, "Readiness probe failed: later");
        assertEquals("Readiness probe failed: later", store.list().get(store.list().size() - 1).message());
    }

    @Test
    void theSpamFilterLets25ThroughThenOneEveryFiveMinutes() {
        for (int i = 0; i < 40; i++) {
            store.warning(db, Reasons.BACK_OFF, "same");
        }
        assertEquals(25, store.list("prod/db-node1").get(0).count());
        store.normal(db, Reasons.PULLED, "another type has its own bucket");
        assertEquals(2, store.list("prod/db-node1").size());
        clock.advance(Duration.ofMinutes(5));
        store.warning(db, Reasons.BACK_OFF, "same");
        store.warning(db, Reasons.BACK_OFF, "same");
        assertEquals(26, store.list("prod/db-node1").stream().filter(e -> e.reason().equals(Reasons.BACK_OFF))
                .findFirst().orElseThrow().count());
    }

    @Test
    void boundedByCountAndByAge() {
        EventStore small = new EventStore(clock, 3, Duration.ofHours(1));
        for (int i = 0; i < 5; i++) {
            small.normal(new EventTarget("ns", "p" + i, "u" + i, ""), Reasons.STARTED, "Started container c");
        }
        assertEquals(List.of("p2", "p3", "p4"), small.list().stream().map(e -> e.target().name()).toList());
        clock.advance(Duration.ofMinutes(61));
        small.normal(web, Reasons.STARTED, "Started container httpd");
        assertEquals(List.of("web-node1"), small.list().stream().map(e -> e.target().name()).toList());
    }

    @Test
    void listFiltersByPodAndSortsByLastSeen() {
        store.normal(web, Reasons.CREATED, "Created container httpd");
        clock.advance(Duration.ofSeconds(1));
        store.normal(db, Reasons.CREATED, "Created container db");
        clock.advance(Duration.ofSeconds(1));
        store.normal(web, Reasons.STARTED, "Started container httpd");
        assertEquals(List.of(Reasons.CREATED, Reasons.STARTED),
                store.list("default/web-node1").stream().map(RecordedEvent::reason).toList());
        assertEquals(3, store.list().size());
        assertEquals(0, store.list("default/nope").size());
    }
}
