package dev.skiff.kubelet.kuberuntime;

import io.fabric8.kubernetes.api.model.Quantity;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;

/** Resource quantities as the kubelet reads them: Value() and MilliValue() round up, absent is zero. */
final class Quantities {
    private Quantities() {
    }

    static BigDecimal amount(Map<String, Quantity> list, String name) {
        if (list == null) {
            return BigDecimal.ZERO;
        }
        Quantity q = list.get(name);
        return q == null ? BigDecimal.ZERO : amount(q);
    }

    static BigDecimal amount(Quantity q) {
        if (q == null || q.getAmount() == null || q.getAmount().isEmpty()) {
            return BigDecimal.ZERO;
        }
        return q.getNumericalAmount();
    }

    /** Quantity.Value(): the amount rounded up to an integer. */
    static long value(BigDecimal amount) {
        return amount.setScale(0, RoundingMode.CEILING).longValueExact();
    }

    /** Quantity.MilliValue(): the amount in thousandths, rounded up. */
    static long milliValue(BigDecimal amount) {
        return amount.movePointRight(3).setScale(0, RoundingMode.CEILING).longValueExact();
    }

    static boolean present(Map<String, Quantity> list, String name) {
        return amount(list, name).signum() > 0;
    }
}
