package dev.skiff.kubelet.config;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;

/**
 * A Kubernetes resource quantity ({@code resource.Quantity} serialization), as {@code containerLogMaxSize}
 * takes it: a signed decimal number and one suffix, binary ({@code Ki Mi Gi Ti Pi Ei}), decimal SI
 * ({@code n u m k M G T P E}, or none) or a decimal exponent ({@code e3}, {@code E-2}). No spaces.
 *
 * @param amount the exact value
 * @param text   the text it was parsed from, kept for messages
 */
public record Quantity(BigDecimal amount, String text) {
    private static final Map<String, BigDecimal> SUFFIXES = Map.ofEntries(
            Map.entry("Ki", BigDecimal.valueOf(2).pow(10)),
            Map.entry("Mi", BigDecimal.valueOf(2).pow(20)),
            Map.entry("Gi", BigDecimal.valueOf(2).pow(30)),
            Map.entry("Ti", BigDecimal.valueOf(2).pow(40)),
            Map.entry("Pi", BigDecimal.valueOf(2).pow(50)),
            Map.entry("Ei", BigDecimal.valueOf(2).pow(60)),
            Map.entry("n", BigDecimal.ONE.scaleByPowerOfTen(-9)),
            Map.entry("u", BigDecimal.ONE.scaleByPowerOfTen(-6)),
            Map.entry("m", BigDecimal.ONE.scaleByPowerOfTen(-3)),
            Map.entry("", BigDecimal.ONE),
            Map.entry("k", BigDecimal.ONE.scaleByPowerOfTen(3)),
            Map.entry("M", BigDecimal.ONE.scaleByPowerOfTen(6)),
            Map.entry("G", BigDecimal.ONE.scaleByPowerOfTen(9)),
            Map.entry("T", BigDecimal.ONE.scaleByPowerOfTen(12)),
            Map.entry("P", BigDecimal.ONE.scaleByPowerOfTen(15)),
            Map.entry("E", BigDecimal.ONE.scaleByPowerOfTen(18)));

    public Quantity {
        if (amount == null || text == null) {
            throw new IllegalArgumentException("amount and text are required");
        }
    }

    /** Parses {@code text}; an {@link IllegalArgumentException} says why it is not a quantity. */
    public static Quantity parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("quantity \"\" is empty: want a number with an optional suffix "
                    + "such as 10Mi or 500k");
        }
        int i = 0;
        if (text.charAt(0) == '+' || text.charAt(0) == '-') {
            i++;
        }
        int digits = 0;
        boolean dot = false;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c >= '0' && c <= '9') {
                digits++;
            } else if (c == '.' && !dot) {
                dot = true;
            } else {
                break;
            }
            i++;
        }
        if (digits == 0) {
            throw bad(text);
        }
        String number = text.substring(0, i);
        String suffix = text.substring(i);
        BigDecimal value;
        try {
            value = new BigDecimal(number.endsWith(".") ? number + "0" : number);
        } catch (NumberFormatException e) {
            throw bad(text);
        }
        BigDecimal multiplier = SUFFIXES.get(suffix);
        if (multiplier != null) {
            return new Quantity(value.multiply(multiplier), text);
        }
        if (suffix.length() >= 2 && (suffix.charAt(0) == 'e' || suffix.charAt(0) == 'E')
                && suffix.substring(1).matches("[+-]?[0-9]{1,4}")) {
            return new Quantity(value.scaleByPowerOfTen(Integer.parseInt(suffix.substring(1))), text);
        }
        throw bad(text);
    }

    /** The value as a whole number, rounded up as Kubernetes' {@code Quantity.Value()} does (bytes, counts). */
    public long longValue() {
        return amount.setScale(0, RoundingMode.CEILING).longValueExact();
    }

    public int signum() {
        return amount.signum();
    }

    @Override
    public String toString() {
        return text;
    }

    private static IllegalArgumentException bad(String text) {
        return new IllegalArgumentException("quantity \"" + text + "\" is not valid: want a number with an "
                + "optional suffix (Ki, Mi, Gi, Ti, Pi, Ei, n, u, m, k, M, G, T, P, E or an exponent like e3), "
                + "e.g. 10Mi");
    }
}
