package dev.skiff.cri.streaming;

import io.grpc.Status;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Single-use tokens for streaming requests, as upstream's streaming RequestCache: 8 random
 * bytes in URL-safe base64, valid for one minute, at most 1000 in flight. A token is gone
 * once consumed or expired.
 */
final class RequestCache {
    static final Duration TTL = Duration.ofMinutes(1);
    static final int MAX_IN_FLIGHT = 1000;
    private static final int TOKEN_BYTES = 8;

    private record Entry(Object request, long expiresAtNanos) {}

    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private final LongSupplier nanoTime;

    RequestCache() {
        this(System::nanoTime);
    }

    RequestCache(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /** Stores the request; RESOURCE_EXHAUSTED when 1000 unexpired tokens wait already. */
    synchronized String insert(Object request) {
        long now = nanoTime.getAsLong();
        evictExpired(now);
        if (entries.size() >= MAX_IN_FLIGHT) {
            throw Status.RESOURCE_EXHAUSTED.withDescription("maximum number of in-flight requests exceeded").asRuntimeException();
        }
        String token;
        do {
            byte[] bytes = new byte[TOKEN_BYTES];
            random.nextBytes(bytes);
            token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        } while (entries.containsKey(token));
        entries.put(token, new Entry(request, now + TTL.toNanos()));
        return token;
    }

    /** The request stored under the token, removing it; empty when unknown, used or expired. */
    synchronized Optional<Object> consume(String token) {
        Entry e = entries.remove(token);
        if (e == null || e.expiresAtNanos - nanoTime.getAsLong() <= 0) {
            return Optional.empty();
        }
        return Optional.of(e.request);
    }

    synchronized int size() {
        return entries.size();
    }

    /** Entries are kept in insertion order, so expired ones are at the head. */
    private void evictExpired(long now) {
        Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
        while (it.hasNext() && it.next().getValue().expiresAtNanos - now <= 0) {
            it.remove();
        }
    }
}
