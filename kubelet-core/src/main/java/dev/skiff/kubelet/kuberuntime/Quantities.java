package dev.skiff.kubelet.kuberuntime;

import io.fabric8.kubernetes.api.model.Quantity;

import java.math.BigDecimal;
import java.util.Map;

/** Resource quantities as the kubelet reads them; one implementation, in volume-manager's {@link dev.skiff.volume.util.Quantities}. */
final class Quantities {
    private Quantities() {
    }

    static BigDecimal amount(Map<String, Quantity> list, String name) {
        return dev.skiff.volume.util.Quantities.amount(list, name);
    }

    static BigDecimal amount(Quantity q) {
        return dev.skiff.volume.util.Quantities.amount(q);
    }

    /** Quantity.Value(): the amount rounded up to an integer. */
    static long value(BigDecimal amount) {
        return dev.skiff.volume.util.Quantities.value(amount);
    }

    /** Quantity.MilliValue(): the amount in thousandths, rounded up. */
    static long milliValue(BigDecimal amount) {
        return dev.skiff.volume.util.Quantities.milliValue(amount);
    }

    static boolean present(Map<String, Quantity> list, String name) {
        return dev.skiff.volume.util.Quantities.present(list, name);
    }
}
