package dev.skiff.volume.util;

import io.fabric8.kubernetes.api.model.Quantity;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;

/** Resource quantities as the kubelet reads them: Value() and MilliValue() round up, absent is zero. */
public final class Quantities {
    private Quantities() {
    }

    /** The amount of {@code name} in {@code list}; zero when the list or the entry is absent. */
    public static BigDecimal amount(Map<String, Quantity> list, String name) {
        if (list == null) {
            return BigDecimal.ZERO;
        }
        Quantity q = list.get(name);
        return q == null ? BigDecimal.ZERO : amount(q);
    }

    /** The amount of {@code q} in base units (cores, bytes); zero when absent or empty. */
    public static BigDecimal amount(Quantity q) {
        if (q == null || q.getAmount() == null || q.getAmount().isEmpty()) {
            return BigDecimal.ZERO;
        }
        return q.getNumericalAmount();
    }

    /** Quantity.Value(): the amount rounded up to an integer. */
    public static long value(BigDecimal amount) {
        return amount.setScale(0, RoundingMode.CEILING).longValueExact();
    }

    /** Quantity.MilliValue(): the amount in thousandths, rounded up. */
    public static long milliValue(BigDecimal amount) {
        return amount.movePointRight(3).setScale(0, RoundingMode.CEILING).longValueExact();
    }

    /** True when {@code name} is set to a non-zero amount (upstream treats a zero limit as no limit). */
    public static boolean present(Map<String, Quantity> list, String name) {
        return amount(list, name).signum() > 0;
    }
}
