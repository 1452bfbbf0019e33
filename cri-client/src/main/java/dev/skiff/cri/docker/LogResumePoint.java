package dev.skiff.cri.docker;

import java.time.Instant;

/**
 * Where copying a container's log stands: the timestamp of the last record written and how
 * many records in a row ended the file with exactly that timestamp. Docker's {@code since}
 * only has second precision, so a resumed stream repeats entries; {@link Skipper} drops them.
 */
public record LogResumePoint(Instant last, int countAtLast) {
    public static final LogResumePoint NONE = new LogResumePoint(null, 0);

    public boolean isNone() {
        return last == null;
    }

    /** The point after also writing a record stamped {@code time}. */
    public LogResumePoint next(Instant time) {
        if (time.equals(last)) {
            return new LogResumePoint(last, countAtLast + 1);
        }
        return new LogResumePoint(time, 1);
    }

    /** The Unix second to ask Docker for logs {@code since}; 0 when starting from the beginning. */
    public int sinceSeconds() {
        return last == null ? 0 : (int) last.getEpochSecond();
    }

    public Skipper skipper() {
        return new Skipper(this);
    }

    /** Decides, entry by entry of a stream requested {@code since} the point, which entries are new. */
    public static final class Skipper {
        private final LogResumePoint point;
        private int seenAtLast;
        private boolean passed;

        private Skipper(LogResumePoint point) {
            this.point = point;
            this.passed = point.isNone();
        }

        public boolean isNew(Instant time) {
            if (passed) {
                return true;
            }
            int cmp = time.compareTo(point.last);
            if (cmp < 0) {
                return false;
            }
            if (cmp == 0 && seenAtLast < point.countAtLast) {
                seenAtLast++;
                return false;
            }
            passed = true;
            return true;
        }
    }
}
