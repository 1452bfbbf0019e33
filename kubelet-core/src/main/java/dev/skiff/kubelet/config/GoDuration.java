package dev.skiff.kubelet.config;

import java.math.BigInteger;
import java.time.Duration;

/**
 * Go's duration syntax ({@code time.ParseDuration} / {@code Duration.String}), which KubeletConfiguration
 * ({@code metav1.Duration}) and the kubelet's duration flags use: {@code 20s}, {@code 1m30s}, {@code 1.5h},
 * {@code 500ms}, {@code -2m}, {@code 0}. Units: ns, us (µs, μs), ms, s, m, h; every number needs a unit except
 * a lone {@code 0}. Like Go, the value must fit in int64 nanoseconds and sub-nanosecond fractions are dropped.
 */
public final class GoDuration {
    private static final BigInteger MAX_NANOS = BigInteger.valueOf(Long.MAX_VALUE);
    private static final BigInteger MIN_NANOS_MAGNITUDE = MAX_NANOS.add(BigInteger.ONE); // |Long.MIN_VALUE|

    private GoDuration() {}

    /** Parses {@code text}; the message of the exception names the text as Go's does. */
    public static Duration parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("time: invalid duration \"\"");
        }
        String s = text;
        boolean negative = false;
        if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
            negative = s.charAt(0) == '-';
            s = s.substring(1);
        }
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        if (s.isEmpty()) {
            throw invalid(text);
        }
        BigInteger total = BigInteger.ZERO;
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c != '.' && !isDigit(c)) {
                throw invalid(text);
            }
            int start = i;
            while (i < s.length() && isDigit(s.charAt(i))) {
                i++;
            }
            String whole = s.substring(start, i);
            String fraction = "";
            if (i < s.length() && s.charAt(i) == '.') {
                int fracStart = ++i;
                while (i < s.length() && isDigit(s.charAt(i))) {
                    i++;
                }
                fraction = s.substring(fracStart, i);
            }
            if (whole.isEmpty() && fraction.isEmpty()) {
                throw invalid(text); // "." or ".s"
            }
            int unitStart = i;
            while (i < s.length() && s.charAt(i) != '.' && !isDigit(s.charAt(i))) {
                i++;
            }
            String unit = s.substring(unitStart, i);
            if (unit.isEmpty()) {
                throw new IllegalArgumentException("time: missing unit in duration \"" + text + "\"");
            }
            long unitNanos = unitNanos(unit, text);
            BigInteger value = whole.isEmpty() ? BigInteger.ZERO : new BigInteger(whole);
            BigInteger nanos = value.multiply(BigInteger.valueOf(unitNanos));
            if (!fraction.isEmpty()) {
                nanos = nanos.add(new BigInteger(fraction).multiply(BigInteger.valueOf(unitNanos))
                        .divide(BigInteger.TEN.pow(fraction.length())));
            }
            total = total.add(nanos);
            if (total.compareTo(MIN_NANOS_MAGNITUDE) > 0) {
                throw invalid(text);
            }
        }
        if (negative) {
            return Duration.ofNanos(total.negate().longValueExact());
        }
        if (total.compareTo(MAX_NANOS) > 0) {
            throw invalid(text);
        }
        return Duration.ofNanos(total.longValueExact());
    }

    /** Formats like Go's {@code Duration.String()}: {@code 0s}, {@code 500ms}, {@code 20s}, {@code 1m0s}, {@code 1h30m0s}. */
    public static String format(Duration d) {
        long nanos = d.toNanos();
        if (nanos == 0) {
            return "0s";
        }
        StringBuilder sb = new StringBuilder();
        if (nanos < 0) {
            sb.append('-');
        }
        BigInteger magnitude = BigInteger.valueOf(nanos).abs();
        long n = magnitude.compareTo(MAX_NANOS) > 0 ? -1 : magnitude.longValue();
        if (n == -1) {
            // Long.MIN_VALUE nanoseconds: exactly 2562047h47m16.854775808s.
            return sb.append("2562047h47m16.854775808s").toString();
        }
        if (n < 1_000_000_000L) {
            if (n < 1_000L) {
                return sb.append(n).append("ns").toString();
            }
            if (n < 1_000_000L) {
                return sb.append(decimal(n, 3)).append("\u00b5s").toString();
            }
            return sb.append(decimal(n, 6)).append("ms").toString();
        }
        long hours = n / 3_600_000_000_000L;
        long rest = n % 3_600_000_000_000L;
        long minutes = rest / 60_000_000_000L;
        long secondsNanos = rest % 60_000_000_000L;
        if (hours > 0) {
            sb.append(hours).append('h');
        }
        if (hours > 0 || minutes > 0) {
            sb.append(minutes).append('m');
        }
        return sb.append(decimal(secondsNanos, 9)).append('s').toString();
    }

    /** {@code value / 10^scale} with trailing fractional zeros dropped. */
    private static String decimal(long value, int scale) {
        long div = 1;
        for (int k = 0; k < scale; k++) {
            div *= 10;
        }
        long whole = value / div;
        long frac = value % div;
        if (frac == 0) {
            return Long.toString(whole);
        }
        String f = String.format("%0" + scale + "d", frac).replaceAll("0+$", "");
        return whole + "." + f;
    }

    private static long unitNanos(String unit, String text) {
        return switch (unit) {
            case "ns" -> 1L;
            case "us", "\u00b5s", "\u03bcs" -> 1_000L; // µ (micro sign) and μ (Greek mu), as Go accepts
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> throw new IllegalArgumentException(
                    "time: unknown unit \"" + unit + "\" in duration \"" + text + "\"");
        };
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("time: invalid duration \"" + text + "\"");
    }
}
