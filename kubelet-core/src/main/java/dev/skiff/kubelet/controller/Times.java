package dev.skiff.kubelet.controller;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/** metav1.Time as the API serializes it: RFC 3339 in UTC, whole seconds. */
final class Times {
    private Times() {}

    static String format(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** Empty for null or unparsable text (a hand-written status in a manifest is not trusted). */
    static Optional<Instant> parse(String t) {
        if (t == null || t.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(t));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
