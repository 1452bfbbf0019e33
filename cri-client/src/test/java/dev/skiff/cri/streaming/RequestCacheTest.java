package dev.skiff.cri.streaming;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

class RequestCacheTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final RequestCache cache = new RequestCache(now::get);

    @Test
    void aTokenIsUrlSafeAndServesOnce() {
        String token = cache.insert("req");
        assertTrue(token.matches("[A-Za-z0-9_-]{11}"), token);
        assertEquals("req", cache.consume(token).orElseThrow());
        assertTrue(cache.consume(token).isEmpty(), "reused");
        assertTrue(cache.consume("unknown").isEmpty());
    }

    @Test
    void aTokenExpiresAfterOneMinute() {
        String early = cache.insert("a");
        String late = cache.insert("b");
        now.addAndGet(RequestCache.TTL.toNanos() - 1);
        assertEquals("a", cache.consume(early).orElseThrow());
        now.addAndGet(1);
        assertTrue(cache.consume(late).isEmpty(), "expired at one minute");
    }

    @Test
    void atMostAThousandWaitAndExpiredOnesMakeRoom() {
        Set<String> tokens = new HashSet<>();
        for (int i = 0; i < RequestCache.MAX_IN_FLIGHT; i++) {
            tokens.add(cache.insert(i));
        }
        assertEquals(RequestCache.MAX_IN_FLIGHT, tokens.size(), "tokens are unique");
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> cache.insert("one more"));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
        assertEquals("maximum number of in-flight requests exceeded", e.getStatus().getDescription());
        now.addAndGet(RequestCache.TTL.toNanos());
        assertNotNull(cache.insert("after expiry"));
        assertEquals(1, cache.size(), "the expired ones were dropped");
    }
}
