package dev.skiff.kubelet.worker;

import dev.skiff.kubelet.metrics.KubeletMetrics;
import dev.skiff.kubelet.metrics.MetricsExposition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.*;

class PodWorkersTest {
    /** A pod as the tests see it: its uid, full name and a version to tell updates apart. */
    record TestPod(String uid, String fullName, String version) {}

    /** Records every call; a test can make a call block, fail or report a terminal phase. */
    static final class RecordingSyncer implements PodSyncer<TestPod> {
        final List<String> calls = new ArrayList<>();
        final Map<String, CountDownLatch> blockSync = new ConcurrentHashMap<>();
        final Map<String, CountDownLatch> blockTerminating = new ConcurrentHashMap<>();
        /** uid → what syncPod's stage waits for (it returns at once); the stage completes with it. */
        final Map<String, CompletableFuture<Void>> asyncSync = new ConcurrentHashMap<>();
        /** uid → what each syncTerminatingPod's stage waits for, in call order. */
        final Map<String, List<CompletableFuture<Void>>> asyncTerminating = new ConcurrentHashMap<>();
        final List<SyncContext> contexts = new CopyOnWriteArrayList<>();
        final AtomicInteger waitingNow = new AtomicInteger();
        final AtomicInteger maxWaiting = new AtomicInteger();
        final Map<String, AtomicInteger> failSync = new ConcurrentHashMap<>();
        final Set<String> terminal = ConcurrentHashMap.newKeySet();
        final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
        final AtomicInteger maxInFlightPerUid = new AtomicInteger();
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger maxRunning = new AtomicInteger();

        private synchronized void record(String call) {
            calls.add(call);
        }

        synchronized List<String> calls() {
            return List.copyOf(calls);
        }

        private void enter(String uid) {
            int n = inFlight.computeIfAbsent(uid, k -> new AtomicInteger()).incrementAndGet();
            maxInFlightPerUid.accumulateAndGet(n, Math::max);
            maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
        }

        private void leave(String uid) {
            inFlight.get(uid).decrementAndGet();
            running.decrementAndGet();
        }

        private static void await(CountDownLatch latch) throws InterruptedException {
            if (latch != null && !latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("test latch never opened");
            }
        }

        @Override
        public CompletionStage<Boolean> syncPod(TestPod pod, UpdateType updateType, SyncContext context) throws Exception {
            contexts.add(context);
            enter(pod.uid());
            try {
                record("sync " + pod.uid() + " " + pod.version() + " " + updateType);
                await(blockSync.remove(pod.uid()));
                AtomicInteger failures = failSync.get(pod.uid());
                if (failures != null && failures.getAndDecrement() > 0) {
                    throw new IllegalStateException("runtime said no");
                }
                CompletableFuture<Void> wait = asyncSync.remove(pod.uid());
                if (wait != null) {
                    return waitFor(wait).thenApply(v -> terminal.contains(pod.uid()));
                }
                return CompletableFuture.completedFuture(terminal.contains(pod.uid()));
            } finally {
                leave(pod.uid());
            }
        }

        @Override
        public CompletionStage<Void> syncTerminatingPod(TestPod pod, Duration gracePeriod, SyncContext context)
                throws Exception {
            contexts.add(context);
            enter(pod.uid());
            try {
                record("terminating " + pod.uid() + " " + pod.version() + " " + gracePeriod.toSeconds() + "s");
                await(blockTerminating.remove(pod.uid()));
                List<CompletableFuture<Void>> waits = asyncTerminating.get(pod.uid());
                if (waits != null) {
                    CompletableFuture<Void> wait = new CompletableFuture<>();
                    waits.add(wait);
                    return waitFor(wait);
                }
                return CompletableFuture.completedFuture(null);
            } finally {
                leave(pod.uid());
            }
        }

        /** A stage that waits for {@code wait}, counted while it does. */
        private CompletableFuture<Void> waitFor(CompletableFuture<Void> wait) {
            maxWaiting.accumulateAndGet(waitingNow.incrementAndGet(), Math::max);
            return wait.whenComplete((v, e) -> waitingNow.decrementAndGet());
        }

        @Override
        public void syncTerminatedPod(TestPod pod) {
            record("terminated " + pod.uid() + " " + pod.version());
        }

        @Override
        public Duration gracePeriod(TestPod pod) {
            return Duration.ofSeconds(30);
        }
    }

    private final RecordingSyncer syncer = new RecordingSyncer();
    private PodWorkers<TestPod> workers = new PodWorkers<>(syncer, 4, Duration.ofMillis(200), Clock.systemUTC());

    @AfterEach
    void tearDown() {
        workers.close(Duration.ofSeconds(5));
    }

    private void send(String uid, UpdateType type, String version) {
        send(uid, "default/" + uid, type, version, null);
    }

    private void send(String uid, String fullName, UpdateType type, String version, Duration grace) {
        workers.updatePod(new UpdatePodOptions<>(uid, fullName, type, new TestPod(uid, fullName, version), grace));
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting until " + what);
            }
            Thread.sleep(5);
        }
    }

    private void awaitCalls(int n) throws InterruptedException {
        await(n + " calls, have " + syncer.calls(), () -> syncer.calls().size() >= n);
    }

    @Test
    void everyUnitIsTimedByItsUpdateType() throws Exception {
        workers.close(Duration.ofSeconds(5));
        KubeletMetrics metrics = new KubeletMetrics();
        workers = new PodWorkers<>(syncer, 4, Duration.ofMillis(200), Clock.systemUTC(), metrics);
        send("a", UpdateType.CREATE, "1");
        awaitCalls(1);
        send("a", UpdateType.KILL, "1");
        workers.whenFinished("a").get(10, TimeUnit.SECONDS);
        var out = new java.io.ByteArrayOutputStream();
        MetricsExposition.write(metrics.registry(), null, out);
        String t = out.toString(java.nio.charset.StandardCharsets.UTF_8);
        for (String type : List.of("create", "kill", "terminated")) {
            assertTrue(t.contains("kubelet_pod_worker_duration_seconds_count{operation_type=\"" + type + "\"} 1\n"),
                    type + "\n" + t);
        }
    }

    @Test
    void serialPerPodParallelAcrossPods() throws Exception {
        CountDownLatch releaseA = new CountDownLatch(1);
        syncer.blockSync.put("a", releaseA);
        send("a", UpdateType.CREATE, "1");
        awaitCalls(1);
        send("a", UpdateType.UPDATE, "2");
        // b runs while a is still busy: different pods do not wait for each other
        send("b", UpdateType.CREATE, "1");
        await("b synced", () -> syncer.calls().contains("sync b 1 CREATE"));
        assertEquals(List.of("sync a 1 CREATE", "sync b 1 CREATE"), syncer.calls(), "a's second update waits for its first");
        releaseA.countDown();
        awaitCalls(3);
        assertEquals("sync a 2 UPDATE", syncer.calls().get(2));
        assertEquals(1, syncer.maxInFlightPerUid.get(), "never two calls for one pod at once");
        assertEquals(2, syncer.maxRunning.get(), "two pods ran at the same time");
        assertTrue(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().startsWith("pod-worker-")));
    }

    @Test
    void poolIsBounded() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        for (int i = 0; i < 8; i++) {
            syncer.blockSync.put("p" + i, release);
            send("p" + i, UpdateType.CREATE, "1");
        }
        awaitCalls(4);
        Thread.sleep(100);
        assertEquals(4, syncer.calls().size(), "only pool-size pods run at once");
        release.countDown();
        awaitCalls(8);
        assertEquals(4, syncer.maxRunning.get());
    }

    @Test
    void updatesCoalesceToTheLatest() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        syncer.blockSync.put("a", release);
        send("a", UpdateType.CREATE, "1");
        awaitCalls(1);
        send("a", UpdateType.UPDATE, "2");
        send("a", UpdateType.SYNC, "3");
        send("a", UpdateType.UPDATE, "4");
        release.countDown();
        awaitCalls(2);
        Thread.sleep(100);
        assertEquals(List.of("sync a 1 CREATE", "sync a 4 UPDATE"), syncer.calls());
    }

    @Test
    void killTerminatesThenCleansUpThenIgnoresUpdates() throws Exception {
        send("a", UpdateType.CREATE, "1");
        awaitCalls(1);
        assertEquals(Map.of("a", WorkType.SYNC), workers.knownPods());
        assertFalse(workers.isPodTerminationRequested("a"));
        send("a", UpdateType.KILL, "1");
        await("finished", () -> workers.isPodFinished("a"));
        assertEquals(List.of("sync a 1 CREATE", "terminating a 1 30s", "terminated a 1"), syncer.calls());
        assertTrue(workers.isPodTerminated("a"));
        assertTrue(workers.shouldPodRuntimeBeRemoved("a"));
        assertFalse(workers.couldHaveRunningContainers("a"));
        assertEquals(Map.of("a", WorkType.TERMINATED), workers.knownPods());

        send("a", UpdateType.SYNC, "1");
        send("a", UpdateType.UPDATE, "2");
        Thread.sleep(100);
        assertEquals(3, syncer.calls().size(), "a finished pod takes no more work");

        // housekeeping: still desired → kept; no longer desired → forgotten
        assertEquals(Map.of("a", new PodWorkerSync(WorkType.TERMINATED, false)), workers.syncKnownPods(Set.of("a")));
        assertFalse(workers.shouldPodContentBeRemoved("a"), "still desired: content stays");
        assertEquals(Map.of(), workers.syncKnownPods(Set.of()));
        assertEquals(Map.of(), workers.knownPods());
        assertTrue(workers.shouldPodContentBeRemoved("a"), "unknown after the first housekeeping: nothing may stay");
        assertFalse(workers.couldHaveRunningContainers("a"));
    }

    @Test
    void gracePeriodOnlyShrinksAndKillsCoalesce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        syncer.blockSync.put("a", release);
        send("a", UpdateType.CREATE, "1");
        awaitCalls(1);
        send("a", "default/a", UpdateType.KILL, "1", Duration.ofSeconds(20));
        send("a", "default/a", UpdateType.KILL, "1", Duration.ofSeconds(5));
        send("a", "default/a", UpdateType.KILL, "1", Duration.ofSeconds(40));
        send("a", UpdateType.UPDATE, "2"); // once terminating, every update is a terminating one
        assertTrue(workers.isPodTerminationRequested("a"));
        assertEquals(WorkType.TERMINATING, workers.state("a").orElseThrow());
        release.countDown();
        await("finished", () -> workers.isPodFinished("a"));
        assertEquals(List.of("sync a 1 CREATE", "terminating a 2 5s", "terminated a 2"), syncer.calls());
    }

    @Test
    void terminalSyncMovesToTerminatingOnItsOwn() throws Exception {
        syncer.terminal.add("job");
        send("job", UpdateType.CREATE, "1");
        await("finished", () -> workers.isPodFinished("job"));
        assertEquals(List.of("sync job 1 CREATE", "terminating job 1 30s", "terminated job 1"), syncer.calls());
    }

    @Test
    void createOfATerminatingUidWaitsUntilTerminated() throws Exception {
        send("a", UpdateType.CREATE, "1");
        awaitCalls(1);
        CountDownLatch release = new CountDownLatch(1);
        syncer.blockTerminating.put("a", release);
        send("a", UpdateType.KILL, "1");
        awaitCalls(2);
        send("a", UpdateType.CREATE, "2");
        Thread.sleep(100);
        assertEquals(List.of("sync a 1 CREATE", "terminating a 1 30s"), syncer.calls(), "no sync while terminating");
        release.countDown();
        awaitCalls(4);
        await("restarted", () -> workers.state("a").orElse(null) == WorkType.SYNC && syncer.calls().size() == 4);
        assertEquals(List.of("sync a 1 CREATE", "terminating a 1 30s", "terminated a 1", "sync a 2 CREATE"), syncer.calls());
        assertFalse(workers.isPodTerminated("a"), "the new incarnation runs");
    }

    @Test
    void aLaterKillCancelsTheRestart() throws Exception {
        send("a", UpdateType.CREATE, "1");
        awaitCalls(1);
        CountDownLatch release = new CountDownLatch(1);
        syncer.blockTerminating.put("a", release);
        send("a", UpdateType.KILL, "1");
        awaitCalls(2);
        send("a", UpdateType.CREATE, "2");
        send("a", UpdateType.KILL, "2");
        release.countDown();
        await("finished", () -> workers.isPodFinished("a"));
        Thread.sleep(100);
        assertEquals(3, syncer.calls().size(), "no restart: " + syncer.calls());
    }

    @Test
    void newUidOfTheSameNameWaitsForTheOldOneToFinish() throws Exception {
        send("old", "default/web", UpdateType.CREATE, "1", null);
        awaitCalls(1);
        CountDownLatch release = new CountDownLatch(1);
        syncer.blockTerminating.put("old", release);
        send("old", "default/web", UpdateType.KILL, "1", null);
        send("new", "default/web", UpdateType.CREATE, "2", null);
        awaitCalls(2);
        Thread.sleep(100);
        assertEquals(List.of("sync old 1 CREATE", "terminating old 1 30s"), syncer.calls(), "new waits for old");
        assertEquals(WorkType.SYNC, workers.state("new").orElseThrow());
        release.countDown();
        awaitCalls(4);
        assertEquals(List.of("sync old 1 CREATE", "terminating old 1 30s", "terminated old 1", "sync new 2 CREATE"), syncer.calls());
    }

    @Test
    void killBeforeStartNeedsNoWork() throws Exception {
        send("old", "default/web", UpdateType.CREATE, "1", null);
        awaitCalls(1);
        CountDownLatch release = new CountDownLatch(1);
        syncer.blockTerminating.put("old", release);
        send("old", "default/web", UpdateType.KILL, "1", null);
        send("new", "default/web", UpdateType.CREATE, "2", null); // waits for old
        send("new", "default/web", UpdateType.KILL, "2", null);   // and is killed while waiting
        release.countDown();
        await("new finished", () -> workers.isPodFinished("new") && workers.isPodFinished("old"));
        assertEquals(List.of("sync old 1 CREATE", "terminating old 1 30s", "terminated old 1"), syncer.calls());
    }

    @Test
    void failedSyncIsRetriedAfterTheBackOff() throws Exception {
        syncer.failSync.put("a", new AtomicInteger(2));
        long t0 = System.nanoTime();
        send("a", UpdateType.CREATE, "1");
        awaitCalls(3);
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals(List.of("sync a 1 CREATE", "sync a 1 SYNC", "sync a 1 SYNC"), syncer.calls());
        assertTrue(elapsedMs >= 400, "two retries, 200 ms apart each, took " + elapsedMs + " ms");
        Thread.sleep(300);
        assertEquals(3, syncer.calls().size(), "no retry after success");
    }

    @Test
    void aNewUpdateReplacesThePendingRetry() throws Exception {
        workers.close();
        workers = new PodWorkers<>(syncer, 2, Duration.ofSeconds(30), Clock.systemUTC());
        syncer.failSync.put("a", new AtomicInteger(1));
        send("a", UpdateType.CREATE, "1");
        awaitCalls(1);
        send("a", UpdateType.UPDATE, "2");
        awaitCalls(2);
        assertEquals("sync a 2 UPDATE", syncer.calls().get(1), "the update ran without waiting for the 30 s back-off");
    }

    @Test
    void orphansAreTerminatedByHousekeeping() throws Exception {
        send("a", UpdateType.CREATE, "1");
        send("b", UpdateType.CREATE, "1");
        awaitCalls(2);
        Map<String, PodWorkerSync> known = workers.syncKnownPods(Set.of("b"));
        assertEquals(new PodWorkerSync(WorkType.TERMINATING, true), known.get("a"));
        await("a finished", () -> workers.isPodFinished("a"));
        assertTrue(workers.shouldPodContentBeRemoved("a"), "deleted and terminated");
        assertEquals(Set.of("b"), workers.syncKnownPods(Set.of("b")).keySet());
        assertFalse(workers.shouldPodContentBeRemoved("b"));
    }

    @Test
    void waitsHoldNoWorkerThread() throws Exception {
        // 50 pods terminate at once, each waiting (a grace period) far longer than it computes: 4 threads carry them all
        for (int i = 0; i < 50; i++) {
            send("p" + i, UpdateType.CREATE, "1");
            syncer.asyncTerminating.put("p" + i, new CopyOnWriteArrayList<>());
        }
        awaitCalls(50);
        for (int i = 0; i < 50; i++) {
            send("p" + i, UpdateType.KILL, "1");
        }
        await("all 50 waiting at once", () -> syncer.waitingNow.get() == 50);
        // and a new pod still syncs while they wait
        send("late", UpdateType.CREATE, "1");
        await("late synced", () -> syncer.calls().contains("sync late 1 CREATE"));
        assertEquals(Set.of(), finished(50), "none finished before its wait ended");
        syncer.asyncTerminating.values().forEach(waits -> waits.forEach(w -> w.complete(null)));
        await("all finished", () -> finished(50).size() == 50);
        assertEquals(1, syncer.maxInFlightPerUid.get());
    }

    private Set<String> finished(int n) {
        Set<String> done = new java.util.HashSet<>();
        for (int i = 0; i < n; i++) {
            if (workers.isPodFinished("p" + i)) {
                done.add("p" + i);
            }
        }
        return done;
    }

    @Test
    void killCancelsASyncThatWaitsAndTerminatesAtOnce() throws Exception {
        CompletableFuture<Void> hook = new CompletableFuture<>(); // e.g. a postStart hook that never ends
        syncer.asyncSync.put("a", hook);
        syncer.asyncTerminating.put("a", new CopyOnWriteArrayList<>());
        send("a", UpdateType.CREATE, "1");
        await("sync waiting", () -> syncer.waitingNow.get() == 1);
        SyncContext sync = syncer.contexts.get(0);
        assertFalse(sync.isCancelled());
        send("a", "default/a", UpdateType.KILL, "1", Duration.ofSeconds(7));
        await("terminating", () -> syncer.calls().contains("terminating a 1 7s"));
        assertTrue(sync.isCancelled(), "the sync was told to start nothing more");
        hook.complete(null); // the abandoned sync ends late: ignored
        syncer.asyncTerminating.get("a").get(0).complete(null);
        await("finished", () -> workers.isPodFinished("a"));
        Thread.sleep(100);
        assertEquals(List.of("sync a 1 CREATE", "terminating a 1 7s", "terminated a 1"), syncer.calls());
    }

    @Test
    void aShorterGraceReKillsWithoutWaitingForTheLongerOne() throws Exception {
        List<CompletableFuture<Void>> waits = new CopyOnWriteArrayList<>();
        syncer.asyncTerminating.put("a", waits);
        send("a", UpdateType.CREATE, "1");
        awaitCalls(1);
        send("a", UpdateType.KILL, "1");
        await("first kill waiting", () -> waits.size() == 1);
        send("a", "default/a", UpdateType.KILL, "1", Duration.ofSeconds(40)); // longer: ignored
        Thread.sleep(100);
        assertEquals(1, waits.size(), "a longer grace period changes nothing");
        send("a", "default/a", UpdateType.KILL, "1", Duration.ofSeconds(2));
        await("re-killed", () -> waits.size() == 2);
        assertEquals(List.of("sync a 1 CREATE", "terminating a 1 30s", "terminating a 1 2s"), syncer.calls());
        assertTrue(syncer.contexts.get(1).isCancelled());
        assertFalse(syncer.contexts.get(2).isCancelled());
        waits.get(1).complete(null);
        await("finished", () -> workers.isPodFinished("a"));
        waits.get(0).complete(null); // the first kill's stage ends late: ignored
        Thread.sleep(100);
        assertEquals(List.of("sync a 1 CREATE", "terminating a 1 30s", "terminating a 1 2s", "terminated a 1"),
                syncer.calls());
    }

    @Test
    void aFailedStageIsRetried() throws Exception {
        List<CompletableFuture<Void>> waits = new CopyOnWriteArrayList<>();
        syncer.asyncTerminating.put("a", waits);
        send("a", UpdateType.CREATE, "1");
        awaitCalls(1);
        send("a", UpdateType.KILL, "1");
        await("kill waiting", () -> waits.size() == 1);
        waits.get(0).completeExceptionally(new IllegalStateException("cannot stop"));
        await("retried", () -> waits.size() == 2);
        assertFalse(workers.isPodTerminated("a"));
        waits.get(1).complete(null);
        await("finished", () -> workers.isPodFinished("a"));
    }

    @Test
    void whenFinishedCompletesOnTheWorkersOwnCompletion() throws Exception {
        List<CompletableFuture<Void>> waits = new CopyOnWriteArrayList<>();
        syncer.asyncTerminating.put("a", waits);
        assertTrue(workers.whenFinished("unknown").isDone());
        send("a", UpdateType.CREATE, "1");
        awaitCalls(1);
        CompletableFuture<Void> finished = workers.whenFinished("a");
        send("a", UpdateType.KILL, "1");
        await("kill waiting", () -> waits.size() == 1);
        assertFalse(finished.isDone());
        waits.get(0).complete(null);
        finished.get(10, TimeUnit.SECONDS);
        assertTrue(workers.isPodFinished("a"));
    }

    @Test
    void closeStopsWithinTheTimeout() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        syncer.blockSync.put("a", never);
        send("a", UpdateType.CREATE, "1");
        awaitCalls(1);
        long t0 = System.nanoTime();
        workers.close(Duration.ofMillis(300));
        // the sync never ends: close must give up on it after its timeout rather than wait for it
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 60_000, "close waited for a sync that never ends");
        send("b", UpdateType.CREATE, "1");
        Thread.sleep(100);
        assertFalse(syncer.calls().contains("sync b 1 CREATE"), "no work after close");
        never.countDown();
    }
}
