package dev.skiff.kubelet;

import dev.skiff.cri.CriRuntime;
import dev.skiff.cri.ImageService;
import dev.skiff.cri.RuntimeService;
import dev.skiff.cri.v1.VersionResponse;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RuntimeConnectorTest {
    private static final Duration FAST = Duration.ofMillis(10);

    @Test
    void waitsWhileTheRuntimeDoesNotAnswerAndReportsWhy() throws Exception {
        AtomicInteger dials = new AtomicInteger();
        List<Boolean> closed = new ArrayList<>();
        RuntimeConnector connector = new RuntimeConnector("unix:///run/x.sock", "--flag", () -> {
            int n = dials.incrementAndGet();
            return runtime(n >= 3, closed); // the first two answer nothing
        }, FAST, FAST);
        List<String> progress = new ArrayList<>();

        Optional<RuntimeConnector.Connected> c = connector.connect(progress::add);

        assertTrue(c.isPresent());
        assertEquals("docker", c.get().version().getRuntimeName());
        assertEquals(3, dials.get());
        assertEquals(List.of(true, true), closed, "each unanswering client is closed before the next try");
        assertEquals(2, progress.size());
        assertTrue(progress.get(0).contains("unix:///run/x.sock") && progress.get(0).contains("connection refused"),
                progress.get(0));
        assertEquals(Optional.empty(), connector.health(), "healthy once connected");
    }

    @Test
    void healthSaysWhatItWaitsForAndCancelEndsTheWait() throws Exception {
        RuntimeConnector connector = new RuntimeConnector("unix:///run/x.sock", "--flag", () -> runtime(false, new ArrayList<>()),
                Duration.ofMinutes(5), Duration.ofMinutes(5));
        CompletableFuture<Optional<RuntimeConnector.Connected>> result = CompletableFuture.supplyAsync(() -> {
            try {
                return connector.connect(s -> { });
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (connector.health().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        String why = connector.health().orElseThrow();
        assertTrue(why.startsWith("runtime: unix:///run/x.sock does not answer: ") && why.contains("attempt 1"), why);

        connector.cancel();

        assertEquals(Optional.empty(), result.get(5, TimeUnit.SECONDS), "cancel ends a 5 minute back-off at once");
    }

    @Test
    void backOffDoublesUpToTheCap() throws Exception {
        List<Long> dialTimes = new ArrayList<>();
        RuntimeConnector connector = new RuntimeConnector("e", "--flag", () -> {
            dialTimes.add(System.nanoTime());
            return runtime(dialTimes.size() >= 5, new ArrayList<>());
        }, Duration.ofMillis(40), Duration.ofMillis(100));

        connector.connect(s -> { });

        // waits 40, 80, 100 (cap), 100 ms
        long[] floors = {40, 80, 100, 100};
        for (int i = 0; i < floors.length; i++) {
            long gapMs = TimeUnit.NANOSECONDS.toMillis(dialTimes.get(i + 1) - dialTimes.get(i));
            assertTrue(gapMs >= floors[i], "gap " + i + " was " + gapMs + " ms, expected at least " + floors[i]);
        }
    }

    /** A client whose Version answers, or fails as an unreachable socket does. */
    private static CriRuntime runtime(boolean answers, List<Boolean> closed) {
        RuntimeService service = (RuntimeService) Proxy.newProxyInstance(RuntimeConnectorTest.class.getClassLoader(),
                new Class<?>[]{RuntimeService.class}, (proxy, method, args) -> {
                    if (method.getName().equals("version") && answers) {
                        return VersionResponse.newBuilder().setRuntimeName("docker").build();
                    }
                    throw Status.UNAVAILABLE.withDescription("connection refused").asRuntimeException();
                });
        return new CriRuntime() {
            @Override
            public RuntimeService runtime() {
                return service;
            }

            @Override
            public ImageService images() {
                throw new UnsupportedOperationException();
            }

            @Override
            public void close() {
                if (!answers) {
                    closed.add(true);
                }
            }
        };
    }
}
