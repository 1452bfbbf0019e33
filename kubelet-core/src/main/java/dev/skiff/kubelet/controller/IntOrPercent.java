package dev.skiff.kubelet.controller;

import io.fabric8.kubernetes.api.model.IntOrString;
import dev.skiff.kubelet.pod.PodValidator;

import java.util.List;
import java.util.regex.Pattern;

/** upstream intstr.GetScaledValueFromIntOrPercent and the apps validation of maxSurge / maxUnavailable. */
final class IntOrPercent {
    private static final Pattern PERCENT = Pattern.compile("[0-9]+%");

    private IntOrPercent() {}

    /** The value scaled against {@code total}: a percentage rounded up or down, an int as is; null gives 0. */
    static int scaled(IntOrString v, int total, boolean roundUp) {
        if (v == null) {
            return 0;
        }
        if (v.getIntVal() != null) {
            return v.getIntVal();
        }
        String s = v.getStrVal();
        if (s == null || !PERCENT.matcher(s).matches()) {
            return 0;
        }
        long pct = Long.parseLong(s.substring(0, s.length() - 1));
        long scaled = pct * total;
        return (int) (roundUp ? (scaled + 99) / 100 : scaled / 100);
    }

    static boolean isZero(IntOrString v) {
        if (v == null) {
            return true;
        }
        if (v.getIntVal() != null) {
            return v.getIntVal() == 0;
        }
        return "0%".equals(v.getStrVal());
    }

    /** upstream ValidatePositiveIntOrPercent and IsNotMoreThan100Percent. */
    static void validate(List<String> errs, IntOrString v, String path) {
        if (v == null) {
            return;
        }
        if (v.getIntVal() != null) {
            if (v.getIntVal() < 0) {
                errs.add(PodValidator.invalid(path, v.getIntVal(), "must be greater than or equal to 0"));
            }
            return;
        }
        String s = v.getStrVal() == null ? "" : v.getStrVal();
        if (!PERCENT.matcher(s).matches()) {
            errs.add(PodValidator.invalid(path, s, "a valid percent string must be a numeric string followed by an"
                    + " ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"));
        } else if (Long.parseLong(s.substring(0, s.length() - 1)) > 100) {
            errs.add(PodValidator.invalid(path, s, "must not be greater than 100%"));
        }
    }

    static String show(IntOrString v) {
        return v.getIntVal() != null ? String.valueOf(v.getIntVal()) : PodValidator.quote(String.valueOf(v.getStrVal()));
    }
}
