package dev.skiff.kubelet.events;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.EventList;
import io.fabric8.kubernetes.api.model.ListMeta;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/** Stored events as the core/v1 Events a kubelet posts (source {@code kubelet} on this node). */
public final class EventObjects {
    public static final String COMPONENT = "kubelet";

    private EventObjects() {
    }

    public static EventList list(List<RecordedEvent> events, String node) {
        List<Event> items = new ArrayList<>(events.size());
        events.forEach(e -> items.add(event(e, node)));
        return new EventList("v1", items, "EventList", new ListMeta());
    }

    public static Event event(RecordedEvent e, String node) {
        EventTarget t = e.target();
        return new EventBuilder()
                .withNewMetadata().withName(e.name()).withNamespace(t.namespace())
                .withCreationTimestamp(time(e.firstTimestamp())).endMetadata()
                .withNewInvolvedObject().withKind("Pod").withApiVersion("v1").withNamespace(t.namespace())
                .withName(t.name()).withUid(t.uid()).withFieldPath(t.fieldPath().isEmpty() ? null : t.fieldPath())
                .endInvolvedObject()
                .withType(e.type().wire()).withReason(e.reason()).withMessage(e.message()).withCount(e.count())
                .withFirstTimestamp(time(e.firstTimestamp())).withLastTimestamp(time(e.lastTimestamp()))
                .withNewSource().withComponent(COMPONENT).withHost(node).endSource()
                .withReportingComponent(COMPONENT).withReportingInstance(node)
                .build();
    }

    /** RFC 3339 to the second, as the API's metav1.Time. */
    private static String time(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
