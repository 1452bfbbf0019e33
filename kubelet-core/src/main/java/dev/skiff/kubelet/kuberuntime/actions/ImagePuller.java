package dev.skiff.kubelet.kuberuntime.actions;

import dev.skiff.cri.ImageService;
import dev.skiff.cri.v1.ImageSpec;
import dev.skiff.cri.v1.ImageStatusRequest;
import dev.skiff.cri.v1.ImageStatusResponse;
import dev.skiff.cri.v1.PullImageRequest;
import dev.skiff.kubelet.config.GoDuration;
import dev.skiff.kubelet.events.EventRecorder;
import dev.skiff.kubelet.events.EventTarget;
import dev.skiff.kubelet.events.Reasons;
import dev.skiff.kubelet.worker.CrashLoopBackOff;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Upstream's image manager (EnsureImageExists): makes sure a container's image is present per its pull policy
 * and says why not when it is not. Failed pulls back off per pod and image (10 s doubling to 300 s, the
 * kubelet's constants); while backing off the answer is ImagePullBackOff without asking the runtime. With
 * serialized pulls (the kubelet's default, serializeImagePulls=true) one pull runs at a time. Records upstream's
 * image events (Pulling, Pulled, Failed, BackOff, ErrImageNeverPull, InspectFailed) on the container. Thread-safe.
 */
public final class ImagePuller {
    private static final Logger log = LoggerFactory.getLogger(ImagePuller.class);
    /** How long a pull waits for the one before it; beyond the runtime's own pull bound (15 min). */
    public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofMinutes(16);

    private final CrashLoopBackOff backoff;
    private final Clock clock;
    private final boolean serialize;
    private final Duration lockTimeout;
    private final ReentrantLock pullLock = new ReentrantLock(true);
    private final EventRecorder events;

    /** Serialized pulls, the kubelet's back-off constants, the system clock. */
    public ImagePuller() {
        this(new CrashLoopBackOff(), Clock.systemUTC(), true, DEFAULT_LOCK_TIMEOUT);
    }

    /**
     * @param backoff     the pull back-off, keyed {@code <pod uid>_<image>} (a separate instance from the
     *                    container restart back-off, as upstream keeps them apart)
     * @param clock       the time the back-off is measured with (same clock as {@code backoff}'s)
     * @param serialize   one pull at a time (serializeImagePulls)
     * @param lockTimeout how long a pull waits for the running one before giving up with ErrImagePull
     */
    public ImagePuller(CrashLoopBackOff backoff, Clock clock, boolean serialize, Duration lockTimeout) {
        this(backoff, clock, serialize, lockTimeout, EventRecorder.NONE);
    }

    /** As {@link #ImagePuller(CrashLoopBackOff, Clock, boolean, Duration)}, recording image events to {@code events}. */
    public ImagePuller(CrashLoopBackOff backoff, Clock clock, boolean serialize, Duration lockTimeout,
                       EventRecorder events) {
        this.backoff = backoff;
        this.clock = clock;
        this.serialize = serialize;
        this.lockTimeout = lockTimeout;
        this.events = events;
    }

    /** The image ref to create {@code container} from, or the waiting reason and message when there is none. */
    public EnsureResult ensure(Pod pod, Container container, ImageService images) {
        String podRef = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
        String uid = pod.getMetadata().getUid();
        EventTarget ref = EventTarget.container(pod, container.getName());
        String image;
        try {
            image = ImageNames.withDefaultTag(container.getImage());
        } catch (ImageNames.InvalidImageNameException e) {
            String msg = "Failed to apply default image tag \"" + container.getImage() + "\": " + e.getMessage();
            log.warn("pod {} ({}) container {}: {}", podRef, uid, container.getName(), msg);
            events.warning(ref, Reasons.INSPECT_FAILED, msg);
            return EnsureResult.failed(EnsureResult.INVALID_IMAGE_NAME, msg);
        }
        ImageSpec spec = ImageSpec.newBuilder().setImage(image).build();
        String present;
        try {
            ImageStatusResponse st = images.imageStatus(ImageStatusRequest.newBuilder().setImage(spec).build());
            present = st.hasImage() ? st.getImage().getId() : "";
        } catch (RuntimeException e) {
            String msg = "Failed to inspect image \"" + image + "\": " + goError(e);
            log.warn("pod {} ({}) container {}: {}", podRef, uid, container.getName(), msg);
            events.warning(ref, Reasons.INSPECT_FAILED, msg);
            return EnsureResult.failed(EnsureResult.IMAGE_INSPECT_ERROR, msg);
        }
        if (!shouldPull(pullPolicy(container), !present.isEmpty())) {
            if (!present.isEmpty()) {
                String msg = "Container image \"" + container.getImage() + "\" already present on machine";
                events.normal(ref, Reasons.PULLED, msg);
                return EnsureResult.ok(present, msg);
            }
            String msg = "Container image \"" + container.getImage() + "\" is not present with pull policy of Never";
            events.warning(ref, Reasons.ERR_IMAGE_NEVER_PULL, msg);
            return EnsureResult.failed(EnsureResult.ERR_IMAGE_NEVER_PULL, msg);
        }
        String key = uid + "_" + image;
        if (backoff.isInBackOffSince(key, clock.instant())) {
            String msg = "Back-off pulling image \"" + container.getImage() + "\"";
            events.normal(ref, Reasons.BACK_OFF, msg);
            return EnsureResult.failed(EnsureResult.IMAGE_PULL_BACK_OFF, msg);
        }
        events.normal(ref, Reasons.PULLING, "Pulling image \"" + container.getImage() + "\"");
        Instant start = clock.instant();
        try {
            Pulled pulled = pull(images, spec);
            Duration took = Duration.between(start, clock.instant());
            log.info("pulled image \"{}\" as {} in {} ms for pod {} ({})", image, pulled.ref(), took.toMillis(), podRef, uid);
            backoff.gc();
            String msg = "Successfully pulled image \"" + container.getImage() + "\" in "
                    + GoDuration.format(pulled.took().truncatedTo(java.time.temporal.ChronoUnit.MILLIS)) + " ("
                    + GoDuration.format(took.truncatedTo(java.time.temporal.ChronoUnit.MILLIS)) + " including waiting)";
            events.normal(ref, Reasons.PULLED, msg);
            return EnsureResult.ok(pulled.ref(), msg);
        } catch (RuntimeException e) {
            Duration next = backoff.next(key, clock.instant());
            String msg = goError(e);
            log.warn("failed to pull image \"{}\" for pod {} ({}), backing off {}: {}", image, podRef, uid,
                    next.toSeconds() + "s", msg);
            events.warning(ref, Reasons.FAILED, "Failed to pull image \"" + container.getImage() + "\": " + msg);
            return EnsureResult.failed(EnsureResult.ERR_IMAGE_PULL, msg);
        }
    }

    /** A pull's image ref and how long the pull itself took (without waiting for the pull before it). */
    private record Pulled(String ref, Duration took) {
    }

    private Pulled pull(ImageService images, ImageSpec spec) {
        if (!serialize) {
            return timedPull(images, spec);
        }
        try {
            if (!pullLock.tryLock(lockTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("pull of image " + spec.getImage() + " waited more than "
                        + dev.skiff.kubelet.config.GoDuration.format(lockTimeout) + " for the pull before it");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("pull of image " + spec.getImage() + " interrupted", e);
        }
        try {
            return timedPull(images, spec);
        } finally {
            pullLock.unlock();
        }
    }

    private Pulled timedPull(ImageService images, ImageSpec spec) {
        Instant start = clock.instant();
        String ref = images.pullImage(PullImageRequest.newBuilder().setImage(spec).build()).getImageRef();
        return new Pulled(ref, Duration.between(start, clock.instant()));
    }

    /** The pull policy, defaulted as the API server does when missing: Always for :latest or no tag. */
    static String pullPolicy(Container container) {
        String p = container.getImagePullPolicy();
        if (p != null && !p.isEmpty()) {
            return p;
        }
        try {
            return ImageNames.tag(container.getImage()).map(t -> t.equals("latest") ? "Always" : "IfNotPresent")
                    .orElse(container.getImage().contains("@") ? "IfNotPresent" : "Always");
        } catch (ImageNames.InvalidImageNameException e) {
            return "IfNotPresent";
        }
    }

    /** Upstream shouldPullImage. */
    static boolean shouldPull(String policy, boolean present) {
        return switch (policy) {
            case "Never" -> false;
            case "Always" -> true;
            default -> !present; // IfNotPresent
        };
    }

    /** A failure as Go's gRPC client prints it ({@code rpc error: code = Unknown desc = …}), as upstream shows it. */
    public static String goError(RuntimeException e) {
        if (e instanceof StatusRuntimeException sre) {
            String desc = sre.getStatus().getDescription();
            return "rpc error: code = " + goCode(sre.getStatus().getCode().name()) + " desc = " + (desc == null ? "" : desc);
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    private static String goCode(String javaName) {
        StringBuilder sb = new StringBuilder();
        for (String part : javaName.split("_")) {
            sb.append(part.charAt(0)).append(part.substring(1).toLowerCase(java.util.Locale.ROOT));
        }
        return sb.toString();
    }
}
