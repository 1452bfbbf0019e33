package dev.skiff.kubelet.logs;

import dev.skiff.kubelet.server.Endpoint;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The query of {@code /containerLogs/{ns}/{pod}/{container}}: upstream's {@code v1.PodLogOptions} as the kubelet
 * decodes it from query parameters ({@code pkg/kubelet/server} getContainerLogs) and validates it
 * ({@code ValidatePodLogOptions}). Absent numbers are null.
 *
 * @param sinceTime RFC 3339, second precision or finer
 */
public record PodLogOptions(boolean follow, Long tailLines, Long limitBytes, Long sinceSeconds, Instant sinceTime,
                            boolean timestamps, boolean previous) {
    public static final PodLogOptions DEFAULT = new PodLogOptions(false, null, null, null, null, false, false);

    /**
     * Decodes and validates the query. As upstream: a boolean is false only for "false" or "0" (any other value,
     * even empty, is true); {@code tail} is the old name of {@code tailLines} ({@code tail=all} means every line).
     */
    public static PodLogOptions parse(Map<String, String> query) throws Endpoint.BadRequestException {
        String tail = query.get("tail");
        String tailLines = tail != null && !tail.isEmpty() ? ("all".equals(tail) ? null : tail) : query.get("tailLines");
        PodLogOptions o = new PodLogOptions(bool(query.get("follow")), integer("tailLines", tailLines),
                integer("limitBytes", query.get("limitBytes")), integer("sinceSeconds", query.get("sinceSeconds")),
                time(query.get("sinceTime")), bool(query.get("timestamps")), bool(query.get("previous")));
        List<String> invalid = new ArrayList<>();
        if (o.tailLines != null && o.tailLines < 0) {
            invalid.add("tailLines: Invalid value: " + o.tailLines + ": must be greater than or equal to 0");
        }
        if (o.limitBytes != null && o.limitBytes < 1) {
            invalid.add("limitBytes: Invalid value: " + o.limitBytes + ": must be greater than 0");
        }
        if (o.sinceSeconds != null && o.sinceTime != null) {
            invalid.add("Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified");
        } else if (o.sinceSeconds != null && o.sinceSeconds < 1) {
            invalid.add("sinceSeconds: Invalid value: " + o.sinceSeconds + ": must be greater than 0");
        }
        if (!invalid.isEmpty()) {
            throw new Endpoint.BadRequestException("Invalid request: " + String.join(", ", invalid));
        }
        return o;
    }

    /**
     * Where reading starts, as upstream's kuberuntime {@code NewLogOptions}: {@code sinceSeconds} before {@code now},
     * or {@code sinceTime}; null for the beginning.
     */
    public Instant since(Instant now) {
        if (sinceSeconds != null) {
            return now.minusSeconds(sinceSeconds);
        }
        return sinceTime;
    }

    private static boolean bool(String value) {
        return value != null && !"0".equals(value) && !"false".equalsIgnoreCase(value);
    }

    private static Long integer(String name, String value) throws Endpoint.BadRequestException {
        if (value == null) {
            return null;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new Endpoint.BadRequestException("Unable to decode query: " + name + ": \"" + shorten(value)
                    + "\" is not an integer");
        }
    }

    private static Instant time(String value) throws Endpoint.BadRequestException {
        if (value == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(value, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            throw new Endpoint.BadRequestException("Unable to decode query: sinceTime: \"" + shorten(value)
                    + "\" is not an RFC 3339 time (e.g. 2024-01-02T15:04:05Z)");
        }
    }

    private static String shorten(String value) {
        return value.length() > 40 ? value.substring(0, 40) + "…" : value;
    }
}
