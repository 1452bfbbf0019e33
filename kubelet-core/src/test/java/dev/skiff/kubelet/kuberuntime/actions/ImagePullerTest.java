package dev.skiff.kubelet.kuberuntime.actions;

import dev.skiff.cri.CriErrors;
import dev.skiff.cri.ImageService;
import dev.skiff.cri.v1.*;
import dev.skiff.kubelet.worker.CrashLoopBackOff;
import dev.skiff.kubelet.worker.FakeClock;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

class ImagePullerTest {
    private final FakeClock clock = new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final CrashLoopBackOff backoff = new CrashLoopBackOff(CrashLoopBackOff.INITIAL, CrashLoopBackOff.MAX, clock);
    private final ImagePuller puller = new ImagePuller(backoff, clock, true, Duration.ofSeconds(5));
    private final FakeImages images = new FakeImages();
    private final Pod pod = new PodBuilder().withNewMetadata().withName("web-node1").withNamespace("default").withUid("uid-1")
            .endMetadata().build();

    /** An image store in memory: present images by name; pulls of names in {@code pullable} succeed. */
    static class FakeImages implements ImageService {
        final Map<String, String> present = new HashMap<>();
        final Map<String, String> pullable = new HashMap<>();
        final List<String> pulls = Collections.synchronizedList(new ArrayList<>());
        volatile CountDownLatch pullGate;
        final AtomicInteger concurrent = new AtomicInteger();
        volatile int maxConcurrent;

        @Override
        public ImageStatusResponse imageStatus(ImageStatusRequest request) {
            String id = present.get(request.getImage().getImage());
            return id == null ? ImageStatusResponse.getDefaultInstance()
                    : ImageStatusResponse.newBuilder().setImage(Image.newBuilder().setId(id)).build();
        }

        @Override
        public PullImageResponse pullImage(PullImageRequest request) {
            String ref = request.getImage().getImage();
            pulls.add(ref);
            int now = concurrent.incrementAndGet();
            synchronized (this) {
                maxConcurrent = Math.max(maxConcurrent, now);
            }
            try {
                if (pullGate != null) {
                    pullGate.await(5, TimeUnit.SECONDS);
                }
                String id = pullable.get(ref);
                if (id == null) {
                    throw CriErrors.notFound("image %s not found: manifest unknown", ref);
                }
                present.put(ref, id);
                return PullImageResponse.newBuilder().setImageRef(id).build();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            } finally {
                concurrent.decrementAndGet();
            }
        }

        @Override
        public ListImagesResponse listImages(ListImagesRequest request) {
            throw new UnsupportedOperationException();
        }

        @Override
        public RemoveImageResponse removeImage(RemoveImageRequest request) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ImageFsInfoResponse imageFsInfo(ImageFsInfoRequest request) {
            throw new UnsupportedOperationException();
        }
    }

    private static Container container(String image, String policy) {
        return new ContainerBuilder().withName("app").withImage(image).withImagePullPolicy(policy).build();
    }

    @Test
    void ifNotPresentUsesThePresentImage() {
        images.present.put("busybox:1", "sha256:aaa");
        EnsureResult r = puller.ensure(pod, container("busybox:1", "IfNotPresent"), images);
        assertTrue(r.ok());
        assertEquals("sha256:aaa", r.imageRef().orElseThrow());
        assertEquals("Container image \"busybox:1\" already present on machine", r.message());
        assertTrue(images.pulls.isEmpty());
    }

    @Test
    void ifNotPresentPullsAnAbsentImage() {
        images.pullable.put("busybox:1", "sha256:bbb");
        EnsureResult r = puller.ensure(pod, container("busybox:1", "IfNotPresent"), images);
        assertEquals("sha256:bbb", r.imageRef().orElseThrow());
        assertEquals(List.of("busybox:1"), images.pulls);
    }

    @Test
    void alwaysPullsEvenWhenPresent() {
        images.present.put("busybox:1", "sha256:old");
        images.pullable.put("busybox:1", "sha256:new");
        EnsureResult r = puller.ensure(pod, container("busybox:1", "Always"), images);
        assertEquals("sha256:new", r.imageRef().orElseThrow());
        assertEquals(List.of("busybox:1"), images.pulls);
    }

    @Test
    void neverUsesPresentOrFails() {
        images.present.put("busybox:1", "sha256:aaa");
        assertEquals("sha256:aaa", puller.ensure(pod, container("busybox:1", "Never"), images).imageRef().orElseThrow());
        EnsureResult r = puller.ensure(pod, container("busybox:2", "Never"), images);
        assertFalse(r.ok());
        assertEquals("ErrImageNeverPull", r.reason());
        assertEquals("Container image \"busybox:2\" is not present with pull policy of Never", r.message());
        assertTrue(images.pulls.isEmpty());
    }

    @Test
    void untaggedImageGetsLatest() {
        images.pullable.put("busybox:latest", "sha256:lll");
        EnsureResult r = puller.ensure(pod, container("busybox", "Always"), images);
        assertTrue(r.ok());
        assertEquals(List.of("busybox:latest"), images.pulls);
        assertEquals("Always", ImagePuller.pullPolicy(container("busybox", null)));
        assertEquals("Always", ImagePuller.pullPolicy(container("busybox:latest", "")));
        assertEquals("IfNotPresent", ImagePuller.pullPolicy(container("busybox:1", null)));
    }

    @Test
    void malformedReferenceIsInvalidImageName() {
        for (String bad : List.of("Busybox:1", "busy box", "busybox:", "-busybox", "busybox@sha256:123",
                "a".repeat(64).replace('a', 'f'))) {
            EnsureResult r = puller.ensure(pod, container(bad, "IfNotPresent"), images);
            assertEquals("InvalidImageName", r.reason(), bad);
            assertTrue(r.message().startsWith("Failed to apply default image tag \"" + bad + "\": couldn't parse image name \""),
                    r.message());
        }
        assertEquals("Failed to apply default image tag \"Busybox:1\": couldn't parse image name \"Busybox:1\": "
                + "invalid reference format: repository name must be lowercase",
                puller.ensure(pod, container("Busybox:1", "Never"), images).message());
        assertTrue(images.pulls.isEmpty());
        for (String good : List.of("busybox", "localhost:5000/a/b:1.0", "127.0.0.1:1/nope:1", "registry.k8s.io/pause:3.9",
                "repo/img@sha256:" + "0".repeat(64), "a_b__c-d--e.f:T_ag-1.x", "[::1]:5000/x:1")) {
            images.present.put(good.contains("@") || good.matches(".*:[^/]+$") ? good : good + ":latest", "sha256:x");
            assertTrue(puller.ensure(pod, container(good, "Never"), images).ok(), good);
        }
    }

    @Test
    void failedPullIsErrImagePullThenBacksOffDoubling() {
        Container c = container("127.0.0.1:1/nope:1", "IfNotPresent");
        EnsureResult first = puller.ensure(pod, c, images);
        assertEquals("ErrImagePull", first.reason());
        assertEquals("rpc error: code = NotFound desc = image 127.0.0.1:1/nope:1 not found: manifest unknown", first.message());
        assertEquals(1, images.pulls.size());

        EnsureResult again = puller.ensure(pod, c, images);
        assertEquals("ImagePullBackOff", again.reason());
        assertEquals("Back-off pulling image \"127.0.0.1:1/nope:1\"", again.message());
        assertEquals(1, images.pulls.size(), "no pull while backing off");

        clock.advance(Duration.ofSeconds(9));
        assertEquals("ImagePullBackOff", puller.ensure(pod, c, images).reason());
        clock.advance(Duration.ofSeconds(1));
        assertEquals("ErrImagePull", puller.ensure(pod, c, images).reason(), "10 s later it tries again");
        assertEquals(2, images.pulls.size());
        clock.advance(Duration.ofSeconds(19));
        assertEquals("ImagePullBackOff", puller.ensure(pod, c, images).reason(), "now 20 s");
        clock.advance(Duration.ofSeconds(1));
        assertEquals("ErrImagePull", puller.ensure(pod, c, images).reason());
        assertEquals(3, images.pulls.size());

        // another pod has its own back-off; a later success ends it
        Pod other = new PodBuilder(pod).editMetadata().withUid("uid-2").endMetadata().build();
        assertEquals("ErrImagePull", puller.ensure(other, c, images).reason());
        images.pullable.put("127.0.0.1:1/nope:1", "sha256:ok");
        clock.advance(Duration.ofSeconds(40));
        assertTrue(puller.ensure(pod, c, images).ok());
    }

    @Test
    void inspectFailureIsImageInspectError() {
        ImageService broken = new FakeImages() {
            @Override
            public ImageStatusResponse imageStatus(ImageStatusRequest request) {
                throw CriErrors.unavailable("docker is down");
            }
        };
        EnsureResult r = puller.ensure(pod, container("busybox:1", "IfNotPresent"), broken);
        assertEquals("ImageInspectError", r.reason());
        assertEquals("Failed to inspect image \"busybox:1\": rpc error: code = Unavailable desc = docker is down", r.message());
    }

    @Test
    void pullsAreSerialized() throws Exception {
        for (int i = 0; i < 4; i++) {
            images.pullable.put("img" + i + ":1", "sha256:" + i);
        }
        images.pullGate = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<EnsureResult>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Container c = container("img" + i + ":1", "IfNotPresent");
                results.add(pool.submit(() -> puller.ensure(pod, c, images)));
            }
            Thread.sleep(200);
            images.pullGate.countDown();
            for (Future<EnsureResult> f : results) {
                assertTrue(f.get(10, TimeUnit.SECONDS).ok());
            }
            assertEquals(1, images.maxConcurrent, "one pull at a time");
            assertEquals(4, images.pulls.size());
        } finally {
            pool.shutdownNow();
        }

        ImagePuller parallel = new ImagePuller(backoff, clock, false, Duration.ofSeconds(5));
        FakeImages fresh = new FakeImages();
        for (int i = 0; i < 3; i++) {
            fresh.pullable.put("img" + i + ":1", "sha256:" + i);
        }
        fresh.pullGate = new CountDownLatch(1);
        ExecutorService pool2 = Executors.newFixedThreadPool(3);
        try {
            List<Future<EnsureResult>> results = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Container c = container("img" + i + ":1", "IfNotPresent");
                results.add(pool2.submit(() -> parallel.ensure(pod, c, fresh)));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (fresh.concurrent.get() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(3, fresh.concurrent.get(), "serializeImagePulls=false pulls in parallel");
            fresh.pullGate.countDown();
            for (Future<EnsureResult> f : results) {
                assertTrue(f.get(10, TimeUnit.SECONDS).ok());
            }
        } finally {
            pool2.shutdownNow();
        }
    }

    @Test
    void lockWaitIsBounded() throws Exception {
        ImagePuller impatient = new ImagePuller(backoff, clock, true, Duration.ofMillis(200));
        images.pullable.put("slow:1", "sha256:s");
        images.pullable.put("next:1", "sha256:n");
        images.pullGate = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<EnsureResult> slow = pool.submit(() -> impatient.ensure(pod, container("slow:1", "IfNotPresent"), images));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (images.concurrent.get() < 1 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            EnsureResult r = impatient.ensure(pod, container("next:1", "IfNotPresent"), images);
            assertEquals("ErrImagePull", r.reason());
            assertTrue(r.message().contains("waited more than"), r.message());
            images.pullGate.countDown();
            assertTrue(slow.get(10, TimeUnit.SECONDS).ok());
        } finally {
            pool.shutdownNow();
        }
    }
}
