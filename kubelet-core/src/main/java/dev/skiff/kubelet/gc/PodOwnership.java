package dev.skiff.kubelet.gc;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * What the garbage collector may ask the kubelet about a pod uid it finds in the runtime.
 *
 * <p>The ownership rule (the same promise Housekeeping keeps): a pod is this kubelet's when it has a directory
 * under our {@code --root-dir} (made before its sandbox, removed only after its last container). Pods of another
 * kubelet or CRI client sharing the Docker Engine have none, and the GC never touches them, dead or alive.
 */
public interface PodOwnership {
    /** False until every pod source has been read once: before that no pod counts as gone. */
    boolean sourcesReady();

    /** True while the kubelet wants the pod or a pod worker still handles it (then the sync path owns removal). */
    boolean isKnown(String uid);

    /** True when this kubelet made the pod: it has a directory under our root dir. */
    boolean isOwned(String uid);

    /** A pod of ours that nobody wants any more: its dead containers, sandboxes and logs may all go. */
    default boolean isGone(String uid) {
        return sourcesReady() && !isKnown(uid) && isOwned(uid);
    }

    /** Known and owned pods (kept, pruned to the newest dead instance per container); others are left alone. */
    default boolean isOurs(String uid) {
        return isKnown(uid) || isOwned(uid);
    }

    /**
     * The kubelet's view: {@code podsDir} is {@code <root-dir>/pods}; {@code known} is true for a uid in the pod
     * manager or with a pod worker.
     */
    static PodOwnership of(BooleanSupplier sourcesReady, Predicate<String> known, Path podsDir) {
        Objects.requireNonNull(podsDir, "podsDir");
        return new PodOwnership() {
            @Override
            public boolean sourcesReady() {
                return sourcesReady.getAsBoolean();
            }

            @Override
            public boolean isKnown(String uid) {
                return known.test(uid);
            }

            @Override
            public boolean isOwned(String uid) {
                // a uid is a path segment only when it is a plain name (a label could say anything)
                return !uid.isEmpty() && !uid.contains("/") && !uid.equals(".") && !uid.equals("..")
                        && Files.isDirectory(podsDir.resolve(uid));
            }
        };
    }
}
