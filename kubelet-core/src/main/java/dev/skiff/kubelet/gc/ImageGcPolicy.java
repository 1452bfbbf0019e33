package dev.skiff.kubelet.gc;

import java.time.Duration;
import java.util.Objects;

/**
 * Upstream ImageGCPolicy: image GC starts when the image filesystem is at or above {@code highThresholdPercent} and
 * frees down to {@code lowThresholdPercent}; an image first seen less than {@code minAge} ago is never removed. A high
 * threshold of 100 turns image GC off, as upstream.
 */
public record ImageGcPolicy(int highThresholdPercent, int lowThresholdPercent, Duration minAge) {
    public ImageGcPolicy {
        Objects.requireNonNull(minAge, "minAge");
        if (highThresholdPercent < 0 || highThresholdPercent > 100) {
            throw new IllegalArgumentException("invalid imageGCHighThresholdPercent " + highThresholdPercent
                    + ", must be in range [0-100]");
        }
        if (lowThresholdPercent < 0 || lowThresholdPercent > 100) {
            throw new IllegalArgumentException("invalid imageGCLowThresholdPercent " + lowThresholdPercent
                    + ", must be in range [0-100]");
        }
        if (lowThresholdPercent > highThresholdPercent) {
            throw new IllegalArgumentException("imageGCLowThresholdPercent " + lowThresholdPercent
                    + " can not be higher than imageGCHighThresholdPercent " + highThresholdPercent);
        }
        if (minAge.isNegative()) {
            throw new IllegalArgumentException("imageMinimumGCAge must not be negative: " + minAge);
        }
    }

    public boolean enabled() {
        return highThresholdPercent < 100;
    }
}
