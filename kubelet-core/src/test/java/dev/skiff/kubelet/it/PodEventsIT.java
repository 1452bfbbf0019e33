package dev.skiff.kubelet.it;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventList;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A pod's events as the upstream kubelet records them, read at {@code /events?pod=NS/NAME} and in
 * {@code skiff describe pod}: image, create, start, back-off and kill events of real containers.
 */
class PodEventsIT extends KubeletItSupport {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void eventsOfARunningACrashingAndAnUnpullablePodAreRecordedAndDescribed() throws Exception {
        String neverPulled = "  - name: missing\n    image: skiff-test/absent-" + ns + ":1\n    imagePullPolicy: Never\n";
        kubelet.writeManifest("ev.yaml", podYaml("ev", "", container("sleeper", "sleep 3600"),
                container("crash", "exit 3"), neverPulled));
        String pod = kubelet.podName("ev");

        List<Event> events = awaitEvents(pod, Duration.ofSeconds(90), list ->
                has(list, "Normal", "Started", "Started container sleeper")
                        && list.stream().anyMatch(e -> "BackOff".equals(e.getReason()) && "Warning".equals(e.getType())
                        && e.getMessage().startsWith("Back-off restarting failed container crash in pod " + pod + "_" + ns + "("))
                        && has(list, "Warning", "ErrImageNeverPull", "Container image \"skiff-test/absent-" + ns
                        + ":1\" is not present with pull policy of Never"));
        assertTrue(has(events, "Normal", "Pulled", "Container image \"" + image + "\" already present on machine"), dump(events));
        assertTrue(has(events, "Normal", "Created", "Created container crash"), dump(events));
        assertTrue(has(events, "Warning", "Failed", "Error: ErrImageNeverPull"), dump(events));
        Event started = find(events, "Started", "Started container sleeper").orElseThrow();
        assertEquals("spec.containers{sleeper}", started.getInvolvedObject().getFieldPath());
        assertEquals("Pod", started.getInvolvedObject().getKind());
        assertEquals(ns, started.getInvolvedObject().getNamespace());
        assertEquals("kubelet", started.getSource().getComponent());
        assertEquals(kubelet.nodeName(), started.getSource().getHost());

        // the crash container's repeated events are one event with a count, once it has crashed a few times
        List<Event> repeated = awaitEvents(pod, Duration.ofSeconds(90),
                list -> find(list, "Started", "Started container crash").map(e -> e.getCount() >= 2).orElse(false));
        assertTrue(find(repeated, "Started", "Started container crash").orElseThrow().getCount() >= 2, dump(repeated));

        String described = skiff("describe", "pod", "ev", "-n", ns);
        assertTrue(described.startsWith("Name:") && described.contains("\nNamespace:") && described.contains(ns), described);
        assertTrue(described.contains("\nEvents:\n  Type     Reason"), described);
        assertTrue(described.lines().anyMatch(l -> l.contains("Warning") && l.contains("BackOff")
                && l.contains("Back-off restarting failed container crash")), described);
        assertTrue(described.contains("  crash:\n"), described);

        // another pod's events are not this pod's
        assertTrue(events(ns + "/nope").isEmpty());

        kubelet.deleteManifest("ev.yaml");
        List<Event> afterDelete = awaitEvents(pod, Duration.ofSeconds(60),
                list -> has(list, "Normal", "Killing", "Stopping container sleeper"));
        assertTrue(find(afterDelete, "Killing", "Stopping container sleeper").isPresent(), dump(afterDelete));
    }

    private List<Event> awaitEvents(String pod, Duration timeout, java.util.function.Predicate<List<Event>> done)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Event> last = List.of();
        while (System.nanoTime() < deadline) {
            last = events(ns + "/" + pod);
            if (done.test(last)) {
                return last;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("events of " + pod + " not as expected within " + timeout + ": " + dump(last)
                + "\nkubelet log:\n" + kubelet.logTail());
    }

    private List<Event> events(String podKey) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + kubelet.readOnlyPort() + "/events?pod="
                + URLEncoder.encode(podKey, StandardCharsets.UTF_8));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(JSON.readTree(r.body()).path("items").isArray(), r.body());
        EventList list = JSON.readValue(r.body(), EventList.class);
        return list.getItems() == null ? List.of() : list.getItems();
    }

    private static boolean has(List<Event> events, String type, String reason, String message) {
        return events.stream().anyMatch(e -> type.equals(e.getType()) && reason.equals(e.getReason())
                && message.equals(e.getMessage()));
    }

    private static Optional<Event> find(List<Event> events, String reason, String message) {
        return events.stream().filter(e -> reason.equals(e.getReason()) && message.equals(e.getMessage())).findFirst();
    }

    private static String dump(List<Event> events) {
        StringBuilder b = new StringBuilder();
        events.forEach(e -> b.append("\n  ").append(e.getType()).append(' ').append(e.getReason()).append(" x")
                .append(e.getCount()).append(' ').append(e.getInvolvedObject().getFieldPath()).append(": ")
                .append(e.getMessage()));
        return b.toString();
    }
}
